"""The line: the webhook, its signature check, the store, reply delivery, the sender, workers, privacy."""
