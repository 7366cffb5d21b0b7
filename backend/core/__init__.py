"""What every area shares: errors, input rules, access, locking, the calendar."""
