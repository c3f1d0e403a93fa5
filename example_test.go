package maestrano_test

import (
	"fmt"

	"github.com/maestrano-go/maestrano"
)

// ExampleLoadDevPlatform reads the developer-platform settings from the
// environment (pass os.Getenv; here a map stands in for it) and shows the URL
// the marketplace configuration is fetched from.
func ExampleLoadDevPlatform() {
	vars := map[string]string{
		"MNO_DEVPL_HOST":       "https://developer.maestrano.com",
		"MNO_DEVPL_API_PATH":   "/api/config/v1/", // the PHP SDK's form; "/api/config/v1/marketplaces" works too
		"MNO_DEVPL_ENV_KEY":    "5e351c6a-b385-425d-b7d2-bafdb22f9476",
		"MNO_DEVPL_ENV_SECRET": "SFHrk0XVRZXfQS9hO8stYA",
	}
	dp, err := maestrano.LoadDevPlatform("", func(k string) string { return vars[k] })
	if err != nil {
		fmt.Println(err)
		return
	}
	u, _ := dp.MarketplacesURL()
	fmt.Println(u)
	fmt.Println(dp.EnvKey, dp.EnvSecret) // the secret never prints
	// Output:
	// https://developer.maestrano.com/api/config/v1/marketplaces
	// 5e351c6a-b385-425d-b7d2-bafdb22f9476 [redacted]
}
