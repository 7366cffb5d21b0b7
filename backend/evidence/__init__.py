"""Evidence: files that prove requirements are met, stored safely and tied to what they prove."""
