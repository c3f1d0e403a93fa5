package redisstore_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/maestrano-go/maestrano/redisstore"
	"github.com/redis/go-redis/v9"
)

// Share the "seen once" records of every app instance in one Redis. The
// store goes where the SDK takes a replay cache or a de-duplication store,
// e.g. saml.WithReplayCache(store).
func ExampleStore_Consume() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
	defer rdb.Close()
	store, err := redisstore.New(rdb, redisstore.WithKeyPrefix("myapp:webhooks:"))
	if err != nil {
		log.Fatal(err)
	}
	first, err := store.Consume(context.Background(), "delivery-42", time.Now().Add(24*time.Hour))
	if err != nil {
		log.Fatal(err) // fail closed: answer an error, the platform retries
	}
	if !first {
		fmt.Println("duplicate delivery, dropped")
	}
}
