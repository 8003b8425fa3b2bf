"""ElastiCache on real redis-server and memcached engines (provider.py)."""
