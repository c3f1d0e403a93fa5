package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

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
	return appInfoFrom(ctx, s.store, s.envs, s.baseURL, a)
}

func appInfoFrom(ctx context.Context, st Storage, envs []store.Environment, base string, a store.App) (AppInfo, error) {
	mp, err := st.AppMarketplace(ctx, a.UID)
	if err != nil {
		return AppInfo{}, fmt.Errorf("sandbox: app %s: %w", a.UID, err)
	}
	for _, e := range envs {
		if e.Name == mp.Environment {
			return AppInfo{UID: a.UID, Name: a.Name, Marketplace: mp.Name, Environment: mp.Environment, Host: a.SSOIdM,
				DevPlatform: DevPlatform{Host: base, APIPath: DevPlatformAPIPath, EnvKey: e.Key, EnvSecret: e.Secret}}, nil
		}
	}
	return AppInfo{}, fmt.Errorf("sandbox: app %s: environment %q not found", a.UID, mp.Environment)
}

// LookupApp reads, without opening the sandbox (which may be running in
// another process and holds the data directory's lock), the settings of
// app appUID stored in dataDir. The developer-platform host is baseURL, or
// when that is empty the base URL the sandbox last published. An unknown
// app gives an error wrapping [store.ErrNotFound].
func LookupApp(ctx context.Context, dataDir, appUID, baseURL string) (AppInfo, error) {
	st, err := store.OpenReadOnly(ctx, filepath.Join(dataDir, dbFile))
	if errors.Is(err, fs.ErrNotExist) {
		return AppInfo{}, fmt.Errorf("sandbox: no sandbox data in %s (start the sandbox first)", dataDir)
	}
	if err != nil {
		return AppInfo{}, fmt.Errorf("sandbox: %w", err)
	}
	defer st.Close()
	if baseURL == "" {
		if baseURL, err = st.BaseURL(ctx); err != nil {
			return AppInfo{}, fmt.Errorf("sandbox: %s has no recorded base URL: %w", dataDir, err)
		}
	} else if baseURL, err = validateBaseURL(baseURL); err != nil {
		return AppInfo{}, err
	}
	a, err := st.App(ctx, appUID)
	if errors.Is(err, store.ErrNotFound) {
		return AppInfo{}, unknownAppError(ctx, st, appUID)
	}
	if err != nil {
		return AppInfo{}, fmt.Errorf("sandbox: %w", err)
	}
	envs, err := st.Environments(ctx)
	if err != nil {
		return AppInfo{}, fmt.Errorf("sandbox: %w", err)
	}
	return appInfoFrom(ctx, st, envs, baseURL, a)
}

// maxListedApps bounds the app uids an unknown-app error lists.
const maxListedApps = 20

// unknownAppError says that appUID is no app of st and lists those that
// are, so that the caller can correct it. It wraps store.ErrNotFound.
func unknownAppError(ctx context.Context, st *store.Store, appUID string) error {
	apps, err := st.Apps(ctx)
	if err != nil {
		return fmt.Errorf("sandbox: unknown app %q: %w", clip(appUID), store.ErrNotFound)
	}
	uids := make([]string, 0, min(len(apps), maxListedApps))
	for _, a := range apps[:min(len(apps), maxListedApps)] {
		uids = append(uids, a.UID)
	}
	known := "this sandbox has no app"
	if len(uids) > 0 {
		known = "the apps are " + strings.Join(uids, ", ")
		if len(apps) > len(uids) {
			known += fmt.Sprintf(" and %d more", len(apps)-len(uids))
		}
	}
	return fmt.Errorf("sandbox: unknown app %q (%s): %w", clip(appUID), known, store.ErrNotFound)
}

// Seeded reports whether [Open] seeded the database (a fresh data
// directory); false means the world stored earlier was kept and
// [Config.Seed] or [Config.SeedFile] ignored.
func (s *Sandbox) Seeded() bool { return s.seeded }
