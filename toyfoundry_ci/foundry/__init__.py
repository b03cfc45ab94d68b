"""The Foundry Cycle: forge, drill, parade, purge, and the cadence derived from files."""
