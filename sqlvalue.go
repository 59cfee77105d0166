package memrel

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The values of columns, both ways: as SQL literals, for WriteRows and the
// DEFAULT clauses of WriteSQL, and from what database/sql drivers return,
// for ReadRows. Each column's coder is chosen once, from its Go type, when
// a table starts; rows then run through closures, not a type switch per
// value.

// A literal appends the SQL literal of v, a value of the column's Go type.
type literal func(dst []byte, v reflect.Value) ([]byte, error)

// A scanner sets v, a settable value of the column's Go type, from src, a
// value a driver returned (nil, int64, float64, bool, []byte, string or
// time.Time).
type scanner func(v reflect.Value, src any) error

var errNull = errors.New("NULL, which the field cannot hold (it is not a Null or a pointer)")

// literalOf is the literal writer of a Go type in d.
func literalOf(t reflect.Type, d Dialect) literal {
	pg := d == PostgreSQL
	if isNull(t) {
		inner := literalOf(t.Field(0).Type, d)
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			if !v.Field(1).Bool() {
				return append(dst, "NULL"...), nil
			}
			return inner(dst, v.Field(0))
		}
	}
	switch {
	case t == timeType:
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			tm := v.Interface().(time.Time)
			if pg {
				return appendTime(dst, tm)
			}
			// UTC: SQLite compares the text, memrel the instant, so one
			// instant must have one spelling (keys, unique indexes).
			return appendString(dst, tm.UTC().Format(time.RFC3339Nano), d)
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			return appendBytes(dst, v.Bytes(), pg), nil
		}
	case t.Kind() == reflect.Array && t.Len() == 16 && t.Elem().Kind() == reflect.Uint8:
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			var b [16]byte
			reflect.Copy(reflect.ValueOf(&b).Elem(), v)
			if pg {
				return append(append(append(dst, '\''), uuidString(b)...), '\''), nil
			}
			return appendBytes(dst, b[:], false), nil
		}
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			switch {
			case pg && v.Bool():
				return append(dst, "TRUE"...), nil
			case pg:
				return append(dst, "FALSE"...), nil
			case v.Bool():
				return append(dst, '1'), nil
			}
			return append(dst, '0'), nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(dst []byte, v reflect.Value) ([]byte, error) { return strconv.AppendInt(dst, v.Int(), 10), nil }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			if v.Uint() > math.MaxInt64 {
				return dst, fmt.Errorf("%d does not fit a BIGINT", v.Uint())
			}
			return strconv.AppendUint(dst, v.Uint(), 10), nil
		}
	case reflect.Float32, reflect.Float64:
		bits := t.Bits()
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			f := v.Float()
			switch {
			case math.IsNaN(f) && pg:
				return append(dst, "'NaN'"...), nil
			case math.IsNaN(f):
				return dst, errors.New("NaN has no SQLite value")
			case math.IsInf(f, 1) && pg:
				return append(dst, "'Infinity'"...), nil
			case math.IsInf(f, -1) && pg:
				return append(dst, "'-Infinity'"...), nil
			case math.IsInf(f, 1):
				return append(dst, "9e999"...), nil
			case math.IsInf(f, -1):
				return append(dst, "-9e999"...), nil
			}
			return strconv.AppendFloat(dst, f, 'g', -1, bits), nil
		}
	case reflect.String:
		return func(dst []byte, v reflect.Value) ([]byte, error) { return appendString(dst, v.String(), d) }
	case reflect.Pointer:
		inner := literalOf(t.Elem(), d)
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			if v.IsNil() {
				return append(dst, "NULL"...), nil
			}
			return inner(dst, v.Elem())
		}
	}
	return func(dst []byte, v reflect.Value) ([]byte, error) {
		j, err := json.Marshal(v.Interface())
		if err != nil {
			return dst, err
		}
		if d == PostgreSQL && bytes.Contains(j, []byte(`\u0000`)) {
			return dst, errors.New("JSON with a NUL, which PostgreSQL's JSONB refuses")
		}
		return appendString(dst, string(j), d)
	}
}

// appendTime appends tm as a TIMESTAMPTZ literal, which keeps
// microseconds.
func appendTime(dst []byte, tm time.Time) ([]byte, error) {
	if y := tm.Year(); y < 1 || y > 9999 {
		return dst, fmt.Errorf("%v is outside years 1 to 9999", tm)
	}
	dst = append(dst, '\'')
	dst = tm.UTC().AppendFormat(dst, "2006-01-02 15:04:05.999999Z07:00") // UTC: an offset of seconds has no text
	return append(dst, '\''), nil
}

// appendString appends s as a string literal. PostgreSQL's text holds
// neither NUL nor invalid UTF-8; SQLite's does, NUL through a cast BLOB.
func appendString(dst []byte, s string, d Dialect) ([]byte, error) {
	if strings.IndexByte(s, 0) >= 0 || !utf8.ValidString(s) {
		if d == PostgreSQL {
			return dst, fmt.Errorf("%q is not valid PostgreSQL text (NUL or invalid UTF-8)", s)
		}
		if strings.IndexByte(s, 0) >= 0 {
			dst = append(dst, "CAST("...)
			dst = appendBytes(dst, []byte(s), false)
			return append(dst, " AS TEXT)"...), nil
		}
	}
	dst = append(dst, '\'')
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			break
		}
		dst = append(append(dst, s[:i+1]...), '\'')
		s = s[i+1:]
	}
	return append(append(dst, s...), '\''), nil
}

func appendBytes(dst, b []byte, pg bool) []byte {
	if pg {
		dst = append(dst, `'\x`...)
	} else {
		dst = append(dst, "X'"...)
	}
	dst = hex.AppendEncode(dst, b)
	return append(dst, '\'')
}

func uuidString(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// scannerOf is the scanner of a Go type.
func scannerOf(t reflect.Type) scanner {
	if isNull(t) {
		inner := scannerOf(t.Field(0).Type)
		return func(v reflect.Value, src any) error {
			if src == nil {
				v.SetZero()
				return nil
			}
			if err := inner(v.Field(0), src); err != nil {
				return err
			}
			v.Field(1).SetBool(true)
			return nil
		}
	}
	if t.Kind() == reflect.Pointer {
		inner := scannerOf(t.Elem())
		return func(v reflect.Value, src any) error {
			if src == nil {
				v.SetZero()
				return nil
			}
			p := reflect.New(t.Elem())
			if err := inner(p.Elem(), src); err != nil {
				return err
			}
			v.Set(p)
			return nil
		}
	}
	scan := scanValue(t)
	return func(v reflect.Value, src any) error {
		if src == nil {
			return errNull
		}
		return scan(v, src)
	}
}

// scanValue is the scanner of a non-NULL value of a type that is neither
// Null nor a pointer.
func scanValue(t reflect.Type) scanner {
	switch {
	case t == timeType:
		return func(v reflect.Value, src any) error {
			switch s := src.(type) {
			case time.Time:
				v.Set(reflect.ValueOf(s))
				return nil
			case string, []byte:
				str := asString(s)
				for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
					if tm, err := time.Parse(layout, str); err == nil {
						v.Set(reflect.ValueOf(tm))
						return nil
					}
				}
				return fmt.Errorf("%q is not a time", str)
			}
			return cannot(src, t)
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		return func(v reflect.Value, src any) error {
			// Empty reads as nil, Go's zero value: SQL has one empty
			// value where Go has two. A driver may reuse its buffer.
			switch s := src.(type) {
			case []byte:
				if len(s) == 0 {
					v.SetZero()
				} else {
					v.SetBytes(bytes.Clone(s))
				}
				return nil
			case string:
				v.SetZero()
				if s != "" {
					v.SetBytes([]byte(s))
				}
				return nil
			}
			return cannot(src, t)
		}
	case t.Kind() == reflect.Array && t.Len() == 16 && t.Elem().Kind() == reflect.Uint8:
		return func(v reflect.Value, src any) error {
			var b []byte
			switch s := src.(type) {
			case []byte:
				b = s
			case [16]byte:
				b = s[:]
			case string:
				h, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
				if err != nil {
					return fmt.Errorf("%q is not a UUID", s)
				}
				b = h
			default:
				return cannot(src, t)
			}
			if len(b) != 16 {
				return fmt.Errorf("%d bytes, not 16", len(b))
			}
			reflect.Copy(v, reflect.ValueOf(b))
			return nil
		}
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(v reflect.Value, src any) error {
			switch s := src.(type) {
			case bool:
				v.SetBool(s)
			case int64: // SQLite's
				if s != 0 && s != 1 {
					return fmt.Errorf("%d is not a bool (0 or 1)", s)
				}
				v.SetBool(s == 1)
			default:
				return cannot(src, t)
			}
			return nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(v reflect.Value, src any) error {
			n, err := asInt(src)
			if err != nil {
				return err
			}
			if v.OverflowInt(n) {
				return fmt.Errorf("%d overflows %s", n, t)
			}
			v.SetInt(n)
			return nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(v reflect.Value, src any) error {
			n, err := asInt(src)
			if err != nil {
				return err
			}
			if n < 0 || v.OverflowUint(uint64(n)) {
				return fmt.Errorf("%d overflows %s", n, t)
			}
			v.SetUint(uint64(n))
			return nil
		}
	case reflect.Float32, reflect.Float64:
		return func(v reflect.Value, src any) error {
			switch s := src.(type) {
			case float64:
				v.SetFloat(s)
			case int64:
				v.SetFloat(float64(s))
			case string, []byte:
				f, err := strconv.ParseFloat(asString(s), 64)
				if err != nil {
					return err
				}
				v.SetFloat(f)
			default:
				return cannot(src, t)
			}
			return nil
		}
	case reflect.String:
		return func(v reflect.Value, src any) error {
			switch s := src.(type) {
			case string, []byte:
				v.SetString(asString(s))
				return nil
			}
			return cannot(src, t)
		}
	}
	return func(v reflect.Value, src any) error {
		switch s := src.(type) {
		case string:
			return json.Unmarshal([]byte(s), v.Addr().Interface())
		case []byte:
			return json.Unmarshal(s, v.Addr().Interface())
		}
		return cannot(src, t)
	}
}

func asString(s any) string {
	if b, ok := s.([]byte); ok {
		return string(b)
	}
	return s.(string)
}

func asInt(src any) (int64, error) {
	switch s := src.(type) {
	case int64:
		return s, nil
	case string, []byte:
		return strconv.ParseInt(asString(s), 10, 64)
	case float64:
		if s == math.Trunc(s) && math.Abs(s) < 1<<63 {
			return int64(s), nil
		}
	}
	return 0, fmt.Errorf("%v (%T) is not an integer", src, src)
}

func cannot(src any, t reflect.Type) error {
	v := fmt.Sprint(src)
	if b, ok := src.([]byte); ok {
		v = string(b)
	}
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	return fmt.Errorf("cannot store %q (%T) in a field of type %s", v, src, t)
}
