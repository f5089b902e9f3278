"""A person in your language: a consented hand-over from the line to a trained helper, relayed through the console."""
