"""Reach: referral codes of mediators, anonymous reach figures, the `mediators` and `stats` commands."""
