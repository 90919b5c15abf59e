package main

import (
	"fmt"

	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/phpembed"
)

// setupCLIStore gives the ephpm_kv_* functions of `ephpm php` their store:
// with configGiven, the running server's store through its [kv.resp];
// otherwise a store local to this process. The returned func releases it.
// Placeholder: always the local store until the RESP client lands.
func setupCLIStore(configPath string, configGiven bool) (func(), error) {
	store, err := kv.New(kv.Options{})
	if err != nil {
		return nil, fmt.Errorf("kv: %w", err)
	}
	phpembed.SetKVStore(store)
	return store.Close, nil
}
