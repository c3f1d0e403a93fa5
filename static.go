package maestrano

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// parseMarketplaces reads a developer-platform answer, {"marketplaces":[...]},
// as the platform sends it (unknown keys are ignored).
func parseMarketplaces(data []byte) (*Registry, error) {
	var body marketplacesBody
	if err := json.Unmarshal(data, &body); err != nil {
		return nil, &ConfigError{Problems: []string{fmt.Sprintf("not a developer-platform answer: %v", err)}}
	}
	if body.Marketplaces == nil {
		return nil, &ConfigError{Problems: []string{`no "marketplaces" array`}}
	}
	return registryFromRaw(body.Marketplaces)
}

// staticFile is the static configuration file: the developer platform's
// answer shape, written by hand.
type staticFile struct {
	Marketplaces []Marketplace `json:"marketplaces"`
}

// ParseRegistry reads a static configuration, for apps that do not use the
// developer platform: JSON in the shape of its answer,
// {"marketplaces":[{"marketplace":"...","api":{...},"sso":{...},...}]}.
// Unlike the platform's answers, a static file is written by people, so an
// unknown key is an error (it is most likely a typo). The input is bounded
// (1 MiB) and every marketplace must pass [Marketplace.Validate].
func ParseRegistry(r io.Reader) (*Registry, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxConfigFileSize+1))
	if err != nil {
		return nil, &ConfigError{Problems: []string{fmt.Sprintf("static configuration: %v", err)}}
	}
	if len(data) > maxConfigFileSize {
		return nil, &ConfigError{Problems: []string{fmt.Sprintf("static configuration is larger than %d bytes", maxConfigFileSize)}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f staticFile
	if err := dec.Decode(&f); err != nil {
		return nil, &ConfigError{Problems: []string{fmt.Sprintf("static configuration is not JSON in the developer-platform shape: %v", err)}}
	}
	if dec.More() {
		return nil, &ConfigError{Problems: []string{"static configuration has data after the JSON object"}}
	}
	if f.Marketplaces == nil {
		return nil, &ConfigError{Problems: []string{`static configuration has no "marketplaces" array`}}
	}
	mps := make([]*Marketplace, len(f.Marketplaces))
	for i := range f.Marketplaces {
		mps[i] = &f.Marketplaces[i]
	}
	return NewRegistry(mps...)
}

// LoadRegistryFile reads a static configuration file; see [ParseRegistry].
func LoadRegistryFile(path string) (*Registry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &ConfigError{Problems: []string{fmt.Sprintf("static configuration: %v", err)}}
	}
	defer f.Close()
	reg, err := ParseRegistry(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return reg, nil
}
