// Package account is the client of the Maestrano account API: the bills
// and recurring bills an app charges to its customers' groups, the groups
// and users it serves, and the resellers that sell it. It also serves the
// account webhooks the platform sends when a group leaves the app or a
// user leaves a group ([WebhookHandler]).
//
// A [Client] works for one marketplace, with that marketplace's api.host,
// api.base, api.id and api.key:
//
//	mp, _ := registry.Get("maestrano")
//	c, err := account.New(mp)
//	bill, err := c.Bills.Create(ctx, account.BillRequest{
//		GroupID: "cld-1", PriceCents: 1500, Description: "Pro plan, May",
//	})
//
// Each resource has a field on the client with the methods the platform
// offers for it: List (with [ListOptions] filters), Get, Create and Cancel
// for bills and recurring bills; List and Get for groups, users and
// resellers; [UsersService.Authenticate] and [ResellersService.Groups].
//
// # Authentication
//
// Every call carries api.id and api.key as HTTP Basic credentials. Plain
// http is refused except to a loopback host, and no redirect is followed,
// so the credentials never leave the API's origin.
//
// # Encoding
//
// Request bodies are JSON (the platform also accepts the form encoding of
// the Ruby and PHP SDKs): JSON keeps integers, booleans and an absent
// field apart, which form values cannot. Answers are the platform's
// envelope {"success", "errors", "data"}; times are read as time.Time
// whichever of the platform's formats they use, amounts are integer cents.
//
// # Errors
//
// An error answer is an [*APIError] with the HTTP status, a [Kind] and the
// platform's field errors. It matches the sentinel of its kind with
// errors.Is — [ErrNotFound], [ErrAuthentication], [ErrValidation],
// [ErrRateLimited], [ErrServer], [ErrMalformedResponse],
// [ErrInvalidPassword]:
//
//	_, err := c.Bills.Get(ctx, id)
//	var apiErr *account.APIError
//	switch {
//	case errors.Is(err, account.ErrNotFound):
//		// the platform answers HTTP 200 with success:false; still an error
//	case errors.As(err, &apiErr) && apiErr.Kind == account.KindValidation:
//		log.Print(apiErr.Errors["price_cents"])
//	}
//
// A request the SDK refuses before sending (a missing group id, an
// oversized body) is an *APIError of KindValidation with StatusCode 0. A
// platform that cannot be reached, or whose answer is cut short, gives a
// *maestrano.ConnectionError instead; an answer over the size bound wraps
// [ErrResponseTooLarge].
//
// # Retries
//
// Reads and cancellations are retried after a connection error, a 5xx or
// a 429 with Retry-After, with capped and jittered backoff that stops when
// ctx ends ([WithRetries]). A create is retried only when the platform
// certainly did not act on it, so a timeout never charges a group twice.
//
// # Webhooks
//
// [NewWebhookHandler] serves DELETE on each marketplace's
// webhooks.account.group_path (":id" is the group) and group_user_path
// (":group_id", ":id" the user). It checks the platform's HTTP Basic
// credentials against that marketplace's api.id and api.key in constant
// time, answers 401 {"error":"Invalid credentials"} otherwise, and calls
// [WebhookCallbacks.GroupRemoved] or [WebhookCallbacks.MemberRemoved].
// The handler sits in this package because the webhooks are the
// platform's half of the same account model (groups and their members).
//
// # Pagination
//
// The platform does not paginate: List returns every match, within the
// answer size bound ([WithMaxResponseBytes]).
package account
