package maestrano

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// RegistryProvider hands out the current registry. Both [*Registry] (which
// never changes) and [*RegistrySource] (which can be refreshed) are
// providers, so code that takes one works with either.
type RegistryProvider interface {
	// Registry returns the current registry; never nil.
	Registry() *Registry
}

// Registry returns r itself, so that a *Registry is a [RegistryProvider].
func (r *Registry) Registry() *Registry { return r }

// RegistrySource holds the current [Registry] and lets a refreshed one be
// swapped in atomically: readers always see one whole registry, the old or
// the new, never a mix. It is safe for concurrent use. Callers keep the
// *Registry they got for the duration of one piece of work (a request),
// and ask again for the next.
type RegistrySource struct {
	cur  atomic.Pointer[Registry]
	conf *configurer // nil for a static source
	done chan struct{}
}

// NewRegistrySource returns a source that holds reg until [RegistrySource.Store]
// replaces it. It has no developer platform to refresh from.
func NewRegistrySource(reg *Registry) (*RegistrySource, error) {
	if reg == nil {
		return nil, errors.New("maestrano: NewRegistrySource: nil registry")
	}
	s := &RegistrySource{done: make(chan struct{})}
	s.cur.Store(reg)
	close(s.done)
	return s, nil
}

// AutoConfigureSource configures like [AutoConfigure] (cache included) and
// returns the result as a source. With [WithRefresh] it then refreshes the
// configuration in the background every interval until ctx is done;
// [RegistrySource.Done] is closed when that goroutine has stopped.
func AutoConfigureSource(ctx context.Context, dp DevPlatform, opts ...Option) (*RegistrySource, error) {
	c, err := newConfigurer(dp, opts)
	if err != nil {
		return nil, err
	}
	reg, err := c.load(ctx)
	if err != nil {
		return nil, err
	}
	s := &RegistrySource{conf: c, done: make(chan struct{})}
	s.cur.Store(reg)
	if c.o.refresh <= 0 {
		close(s.done)
		return s, nil
	}
	go s.refreshLoop(ctx, c.o.refresh)
	return s, nil
}

// Registry returns the current registry.
func (s *RegistrySource) Registry() *Registry { return s.cur.Load() }

// Store replaces the current registry.
func (s *RegistrySource) Store(reg *Registry) error {
	if reg == nil {
		return errors.New("maestrano: RegistrySource.Store: nil registry")
	}
	s.cur.Store(reg)
	return nil
}

// Refresh fetches the configuration from the developer platform now (a
// fresh cached copy is not enough) and, when it is valid, swaps it in and
// writes the cache. On failure the current registry stays and the error is
// returned.
func (s *RegistrySource) Refresh(ctx context.Context) error {
	if s.conf == nil {
		return errors.New("maestrano: RegistrySource.Refresh: this source has no developer platform (built by NewRegistrySource)")
	}
	reg, err := s.conf.fetch(ctx)
	if err != nil {
		return err
	}
	s.cur.Store(reg)
	return nil
}

// Done is closed once the background refresh has stopped (at once for a
// source without one).
func (s *RegistrySource) Done() <-chan struct{} { return s.done }

func (s *RegistrySource) refreshLoop(ctx context.Context, every time.Duration) {
	defer close(s.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.conf.o.logger.LogAttrs(ctx, slog.LevelWarn, "maestrano: configuration refresh failed; keeping the current one", slog.String("error", err.Error()))
		}
	}
}
