"""vertex-openai."""
