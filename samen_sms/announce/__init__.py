"""Information sessions and their announcements: subscriptions, session files, broadcasts, rates, quiet hours."""
