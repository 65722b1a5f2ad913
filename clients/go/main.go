// A relay's side of `tariff serve` in Go, standard library only: credit an account (admin
// token), hold before the upstream call, settle from the usage after it, and read the
// account back, checking every answer. The `call` function is the README's Go snippet.
//
//	TARIFF_URL=http://127.0.0.1:8787 TARIFF_RELAY=... TARIFF_ADMIN=... go run .
//
// It prints "ok" and exits 0, or names what was wrong and exits 1.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
)

func call(base, token, path string, body any) (map[string]any, error) {
	method, rd := "GET", io.Reader(nil)
	if body != nil {
		b, _ := json.Marshal(body)
		method, rd = "POST", bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	// Numbers stay exact decimal text (json.Number), never a float64.
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	var v map[string]any
	return v, dec.Decode(&v)
}

// must stops the program when a call failed or answered with an error object.
func must(v map[string]any, err error) map[string]any {
	if err != nil {
		fmt.Println("call failed:", err)
		os.Exit(1)
	}
	if e, bad := v["error"]; bad {
		fmt.Println("error answer:", e)
		os.Exit(1)
	}
	return v
}

// units reads a whole number of quota units.
func units(v any) int64 {
	n, ok := v.(json.Number)
	if !ok {
		return -1
	}
	i, err := n.Int64()
	if err != nil {
		return -1
	}
	return i
}

func check(ok bool, what string, v any) {
	if !ok {
		fmt.Printf("%s: %v\n", what, v)
		os.Exit(1)
	}
}

func main() {
	base, relay, admin := os.Getenv("TARIFF_URL"), os.Getenv("TARIFF_RELAY"), os.Getenv("TARIFF_ADMIN")
	acct := "go-client"
	a := must(call(base, admin, "/v1/accounts/"+acct+"/credit",
		map[string]any{"amount": 5000000, "key": "go-topup-1"}))
	check(units(a["funded"]) == 5000000, "funded after the credit", a)

	request := `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"max_tokens":100}`
	h := must(call(base, relay, "/v1/holds", map[string]any{
		"request_id": "go-req-1", "account": acct, "api": "openai-chat",
		"model": "gpt-4o", "request": request}))
	held := units(h["held"])
	check(held > 0, "held", h)

	// The quote of the same usage, in quota units, is what the settle must charge.
	usage := map[string]any{"input_tokens": 9, "output_tokens": 12}
	q := must(call(base, relay, "/v1/quote", map[string]any{
		"model": "gpt-4o", "usage": usage, "quota": map[string]any{}}))
	quota, _ := q["quota"].(map[string]any)
	charged := units(quota["units"])
	check(charged > 0, "the quote's quota", q)
	s := must(call(base, relay, "/v1/holds/go-req-1/settle", map[string]any{"usage": usage}))
	check(units(s["charged"]) == charged && units(s["released"]) == held, "settle", s)

	a = must(call(base, relay, "/v1/accounts/"+acct, nil))
	check(units(a["charged"]) == charged && units(a["held"]) == 0 &&
		units(a["balance"]) == 5000000-charged, "account after the settle", a)

	// A relay token may not credit: 403 in the error shape.
	e, err := call(base, relay, "/v1/accounts/"+acct+"/credit",
		map[string]any{"amount": 1, "key": "go-topup-2"})
	kind := ""
	if m, isMap := e["error"].(map[string]any); isMap {
		kind, _ = m["kind"].(string)
	}
	check(err == nil && kind == "forbidden", "a relay token crediting", e)
	fmt.Println("ok")
}
