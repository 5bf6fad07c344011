"""Detection: the rules and the anomaly model over features and events, their findings explained."""
