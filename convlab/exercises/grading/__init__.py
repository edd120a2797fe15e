"""How a check runs and what it says: declaration, engine, comparison, verdict card,
misconception messages, and the questions that lessons ask."""
