package httpapi_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/httpapi"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in      string
		want    httpapi.Money
		wantErr string // substring of the *MoneyError text; "" means success
	}{
		{in: "0.29", want: 29},
		{in: "1.1", want: 110},
		{in: "1.10", want: 110},
		{in: "10", want: 1000},
		{in: "0.5", want: 50},
		{in: "-1.25", want: -125},
		{in: "-0.05", want: -5},
		{in: "0", want: 0},
		{in: "-0", want: 0},
		{in: "0.00", want: 0},
		{in: "9.99", want: 999},
		{in: "1.100", want: 110},                     // the value has two places; trailing zeros are fine
		{in: "1e2", want: 10000},                     // exponents are accepted when the value is exact in cents
		{in: "1.5E-1", want: 15},                     // 0.15
		{in: "125e-2", want: 125},                    // 1.25
		{in: "0e999999999999", want: 0},              // zero whatever the exponent
		{in: "100000000000", want: httpapi.MaxMoney}, // the limit itself
		{in: "-100000000000.00", want: -httpapi.MaxMoney},
		{in: "9.999", wantErr: "amount 9.999 has more than two decimal places"},
		{in: "0.001", wantErr: "amount 0.001 has more than two decimal places"},
		{in: "1e-3", wantErr: "amount 1e-3 has more than two decimal places"},
		{in: "1e-99999999999", wantErr: "more than two decimal places"},
		{in: "100000000000.01", wantErr: "amount 100000000000.01 exceeds the limit of 100000000000.00"},
		{in: "1e20", wantErr: "exceeds the limit"},
		{in: "-1e14", wantErr: "exceeds the limit"},
		{in: "1e99999999999", wantErr: "exceeds the limit"},
		{in: "99999999999999999999999", wantErr: "exceeds the limit"},
		{in: "", wantErr: "is not a decimal number"},
		{in: "abc", wantErr: "is not a decimal number"},
		{in: "01", wantErr: "is not a decimal number"},
		{in: "1.", wantErr: "is not a decimal number"},
		{in: ".5", wantErr: "is not a decimal number"},
		{in: "+1", wantErr: "is not a decimal number"},
		{in: "1e", wantErr: "is not a decimal number"},
		{in: "1.2.3", wantErr: "is not a decimal number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := httpapi.ParseMoney(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseMoney(%q) error: %v", tt.in, err)
				}
				if got != tt.want {
					t.Fatalf("ParseMoney(%q) = %d cents, want %d", tt.in, got, tt.want)
				}
				return
			}
			var me *httpapi.MoneyError
			if !errors.As(err, &me) {
				t.Fatalf("ParseMoney(%q) = %d, %v; want a *MoneyError", tt.in, got, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseMoney(%q) error %q, want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestMoneyUnmarshalJSON(t *testing.T) {
	type body struct {
		Price httpapi.Money `json:"price"`
	}
	tests := []struct {
		json      string
		want      httpapi.Money
		wantMoney bool // a *MoneyError
		wantType  bool // a *json.UnmarshalTypeError naming the field
	}{
		{json: `{"price": 0.29}`, want: 29},
		{json: `{"price": 1.1}`, want: 110},
		{json: `{"price": -0.05}`, want: -5},
		{json: `{"price": null}`, want: 7}, // null leaves the value alone
		{json: `{"price": 9.999}`, wantMoney: true},
		{json: `{"price": 1e20}`, wantMoney: true},
		{json: `{"price": "9.99"}`, wantType: true},
		{json: `{"price": true}`, wantType: true},
		{json: `{"price": [1]}`, wantType: true},
		{json: `{"price": {}}`, wantType: true},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			b := body{Price: 7}
			err := json.Unmarshal([]byte(tt.json), &b)
			switch {
			case tt.wantMoney:
				var me *httpapi.MoneyError
				if !errors.As(err, &me) {
					t.Fatalf("err = %v, want a *MoneyError", err)
				}
			case tt.wantType:
				var te *json.UnmarshalTypeError
				if !errors.As(err, &te) {
					t.Fatalf("err = %v, want a *json.UnmarshalTypeError", err)
				}
				if te.Field != "price" {
					t.Fatalf("type error field = %q, want price", te.Field)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if b.Price != tt.want {
					t.Fatalf("price = %d, want %d", b.Price, tt.want)
				}
			}
		})
	}
}

func TestMoneyMarshalJSON(t *testing.T) {
	tests := []struct {
		m    httpapi.Money
		want string
	}{
		{999, "9.99"},
		{1000, "10.00"},
		{-5, "-0.05"},
		{0, "0.00"},
		{29, "0.29"},
		{-125, "-1.25"},
		{httpapi.MaxMoney, "100000000000.00"},
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got, err := json.Marshal(struct {
				Price httpapi.Money `json:"price"`
			}{tt.m})
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"price":` + tt.want + `}`; string(got) != want {
				t.Fatalf("Marshal(%d) = %s, want %s", tt.m, got, want)
			}
			if s := tt.m.String(); s != tt.want {
				t.Fatalf("String() = %q, want %q", s, tt.want)
			}
			if tt.m == math.MinInt64 {
				return // beyond MaxMoney by design, so no round trip
			}
			var back httpapi.Money
			if err := json.Unmarshal([]byte(tt.want), &back); err != nil || back != tt.m {
				t.Fatalf("round trip of %s = %d, %v; want %d", tt.want, back, err, tt.m)
			}
		})
	}
}
