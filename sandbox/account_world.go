package sandbox

import (
	"context"
	"errors"
	"fmt"

	"github.com/maestrano-go/maestrano/sandbox/store"
)

// AppInfo describes one app of the sandbox and the developer-platform
// settings that point an SDK at it.
type AppInfo struct {
	UID         string      // api.id, e.g. "app-1"
	Name        string      // display name
	Marketplace string      // marketplace it is published on, e.g. "maestrano"
	Environment string      // developer-platform environment, e.g. "sandbox"
	Host        string      // sso.idm: where the platform expects its init and consume paths
	DevPlatform DevPlatform // MNO_DEVPL_* settings of its environment
}

// Apps lists every app with its developer-platform settings, ordered by uid.
func (s *Sandbox) Apps(ctx context.Context) ([]AppInfo, error) {
	apps, err := s.store.Apps(ctx)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	out := make([]AppInfo, 0, len(apps))
	for _, a := range apps {
		info, err := s.appInfo(ctx, a)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// AppDevPlatform returns the developer-platform settings of the environment
// app appUID is published in. An unknown app gives an error wrapping
// [store.ErrNotFound].
func (s *Sandbox) AppDevPlatform(ctx context.Context, appUID string) (DevPlatform, error) {
	a, err := s.store.App(ctx, appUID)
	if errors.Is(err, store.ErrNotFound) {
		return DevPlatform{}, fmt.Errorf("sandbox: unknown app %q: %w", clip(appUID), store.ErrNotFound)
	}
	if err != nil {
		return DevPlatform{}, fmt.Errorf("sandbox: %w", err)
	}
	info, err := s.appInfo(ctx, a)
	return info.DevPlatform, err
}

func (s *Sandbox) appInfo(ctx context.Context, a store.App) (AppInfo, error) {
	mp, err := s.store.AppMarketplace(ctx, a.UID)
	if err != nil {
		return AppInfo{}, fmt.Errorf("sandbox: app %s: %w", a.UID, err)
	}
	for _, e := range s.envs {
		if e.Name == mp.Environment {
			return AppInfo{UID: a.UID, Name: a.Name, Marketplace: mp.Name, Environment: mp.Environment,
				Host: a.SSOIdM, DevPlatform: s.devPlatformOf(e)}, nil
		}
	}
	return AppInfo{}, fmt.Errorf("sandbox: app %s: environment %q not found", a.UID, mp.Environment)
}

// Seeded reports whether [Open] seeded the database (a fresh data
// directory); false means the world stored earlier was kept and
// [Config.Seed] or [Config.SeedFile] ignored.
func (s *Sandbox) Seeded() bool { return s.seeded }
