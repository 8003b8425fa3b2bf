"""The real engines behind services that run one (DESIGN.md §6): database and cache servers as
supervised child processes (process.py), containers on the local Docker Engine (docker.py)."""
