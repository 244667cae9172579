"""Run the real components (Kafka, PostgreSQL, a mail catcher) as child processes we own."""
