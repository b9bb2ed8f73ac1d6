// Placeholder until the spec loader lands.
