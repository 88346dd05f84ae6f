"""Django's RedisCache, keeping one redis client per connection pool.

Django's `RedisCacheClient.get_client()` builds a new `redis.Redis` object for
every cache call, and building one fills its command-callback tables (~170
dictionary writes). A page makes several cache calls (the session, content
versions, cached fragments), so that cost shows up in every request. A
`redis.Redis` object is safe to share between threads (it takes connections
from its pool per command), so one per pool is enough.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def validate_key(self, key):
        """Redis takes any key: skip Django's memcached-portability warnings.

        They scan every character of every key, and a signed-in request reads
        a dozen keys with its session alone.
        """
