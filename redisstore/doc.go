// Package redisstore keeps "consumed once" ids in Redis, so that several
// instances of an app behind a load balancer share them: the SAML
// assertion replay cache (saml.ReplayCache, through
// saml.WithReplayCache) and the de-duplication of webhook deliveries.
//
// A [Store] has the one method those stores need,
// Consume(ctx, id, expiry) (bool, error): it records id until expiry with
// a single SET NX PX, which Redis runs atomically, so exactly one of any
// number of concurrent callers (in one process or many) gets true.
//
//	rdb := redis.NewClient(&redis.Options{Addr: "redis:6379"})
//	replay, err := redisstore.New(rdb, redisstore.WithKeyPrefix("myapp:saml:"))
//	sp, err := saml.NewServiceProvider(acs, certs, saml.WithReplayCache(replay))
//
// # Errors
//
// When Redis cannot be reached Consume returns false and a [*Error]
// wrapping the client's error: the caller fails closed (a login is
// refused, a delivery is answered with an error so that it is retried)
// rather than accepting what might be a replay.
//
// This is the only SDK package that depends on github.com/redis/go-redis;
// the others need no Redis.
package redisstore
