"""Planning: measurable objectives, actions that close gaps, milestones on the timeline."""
