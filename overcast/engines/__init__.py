"""The real engines Overcast drives for services that execute: a container engine, database
servers and caches from the machine's packages (DESIGN.md §6)."""
