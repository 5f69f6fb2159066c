package state

import (
	"cmp"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"chatd/conf"

	"gopkg.in/irc.v4"
)

// Dump renders the world's whole state, every field fieldKinds does not
// call node-local, one "path = value" line each, in an order that does
// not depend on how the world came to be: map keys sorted, indexes
// (B-trees) as their ordered items, references to clients and channels
// by ID and name. It walks the types by reflection, so a field added to
// them is dumped without anyone writing code for it. Two worlds that
// applied the same log must dump the same (the replay tests compare
// them); a world restored from a snapshot too. State goroutine only;
// O(size of the world), for tests and debugging.
func (w *World) Dump() string {
	d := &dumper{}
	d.walk("world", reflect.ValueOf(w).Elem(), true)
	return d.b.String()
}

type dumper struct{ b strings.Builder }

var (
	clientPtr  = reflect.TypeFor[*Client]()
	channelPtr = reflect.TypeFor[*Channel]()
	timeType   = reflect.TypeFor[time.Time]()
	addrType   = reflect.TypeFor[netip.Addr]()
	configPtr  = reflect.TypeFor[*conf.Config]()
	messagePtr = reflect.TypeFor[*irc.Message]()
	worldType  = reflect.TypeFor[World]()
	markType   = reflect.TypeFor[markEvent]()
	outboxType = reflect.TypeFor[Outbox]()
	statePkg   = worldType.PkgPath()
)

func (d *dumper) line(path, value string) {
	d.b.WriteString(path)
	d.b.WriteString(" = ")
	d.b.WriteString(value)
	d.b.WriteByte('\n')
}

// exported returns v with the read-only flag of an unexported field
// lifted, so that it can be read like any other (the dump only reads).
func exported(v reflect.Value) reflect.Value {
	if !v.CanAddr() {
		c := reflect.New(v.Type()).Elem()
		if v.CanInterface() {
			c.Set(v)
			return c
		}
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// ref names a client or a channel without walking into it: they are
// walked once, under the world's clients and channels.
func ref(v reflect.Value) (string, bool) {
	switch v.Type() {
	case clientPtr:
		if v.IsNil() {
			return "nil", true
		}
		return "client#" + strconv.FormatUint(uint64(v.Interface().(*Client).ID), 10), true
	case channelPtr:
		if v.IsNil() {
			return "nil", true
		}
		return "channel:" + v.Interface().(*Channel).folded, true
	}
	return "", false
}

// walk dumps v at path; owner says that a client or channel pointer is to
// be walked into rather than named.
func (d *dumper) walk(path string, v reflect.Value, owner bool) {
	if s, ok := d.leaf(v, owner); ok {
		d.line(path, s)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		d.walk(path, v.Elem(), false)
	case reflect.Interface:
		d.walk(path+".("+v.Elem().Type().String()+")", exported(v.Elem()), false)
	case reflect.Struct:
		d.structure(path, exported(v))
	case reflect.Map:
		d.mapping(path, v)
	case reflect.Slice, reflect.Array:
		n := 0
		for i := 0; i < v.Len(); i++ {
			e := v.Index(i)
			if e.Kind() == reflect.Interface && !e.IsNil() && e.Elem().Type() == markType {
				continue // a reader's marker: the node's own
			}
			d.walk(path+"["+strconv.Itoa(n)+"]", exported(e), false)
			n++
		}
		if n == 0 {
			d.line(path, "[]")
		}
	default:
		d.line(path, fmt.Sprint(v.Interface()))
	}
}

// leaf renders the values that are not walked into.
func (d *dumper) leaf(v reflect.Value, owner bool) (string, bool) {
	if !v.IsValid() {
		return "invalid", true
	}
	if s, ok := ref(v); ok && !owner {
		return s, true
	}
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.CanInterface() {
		if c, ok := v.Interface().(interface{ canonical() any }); ok {
			data, _ := json.Marshal(c.canonical())
			return string(data), true
		}
	}
	switch v.Type() {
	case timeType:
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return "0", true
		}
		return t.UTC().Format(time.RFC3339Nano), true
	case addrType:
		return v.Interface().(netip.Addr).String(), true
	case configPtr, messagePtr:
		if v.IsNil() {
			return "nil", true
		}
		if m, ok := v.Interface().(*irc.Message); ok {
			return strconv.Quote(m.String()), true
		}
		if cfg, ok := v.Interface().(*conf.Config); ok {
			// The node's own keys (listeners, files) differ between nodes.
			data, _ := json.Marshal(conf.WorldPart(cfg))
			return string(data), true
		}
		data, _ := json.Marshal(v.Interface())
		return string(data), true
	}
	switch v.Kind() {
	case reflect.Map:
		if v.Len() == 0 {
			return "{}", true // nil or empty: no difference to the world
		}
	case reflect.Slice:
		if v.Len() == 0 {
			return "[]", true
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return hex.EncodeToString(v.Bytes()), true
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "nil", true
		}
		if v.Kind() == reflect.Pointer && strings.HasPrefix(v.Type().String(), "*btree.BTreeG[") {
			return btreeItems(v), true
		}
	case reflect.Func:
		if v.IsNil() {
			return "nil", true
		}
		return "func", true
	case reflect.Chan:
		return "chan", true
	case reflect.String:
		return strconv.Quote(v.String()), true
	}
	return "", false
}

func (d *dumper) structure(path string, v reflect.Value) {
	t := v.Type()
	before := d.b.Len()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type == outboxType {
			continue // a connection: the node's own
		}
		if t.PkgPath() == statePkg {
			kind, listed := fieldKinds[t.Name()+"."+f.Name]
			if kind == local {
				continue
			}
			if !listed && slices.Contains(fieldTypeNames(), t.Name()) {
				d.line(path+"."+f.Name, "UNLISTED FIELD (add it to state/fields.go)")
				continue
			}
		} else if f.Type.Kind() == reflect.Func || f.Type.Kind() == reflect.Chan || strings.HasPrefix(f.Type.String(), "sync.") {
			continue // machinery of another package's value
		}
		fv := exported(v.Field(i))
		if t == worldType && (f.Name == "clients" || f.Name == "channels") {
			d.owners(path+"."+f.Name, fv)
			continue
		}
		if t == worldType && f.Name == "restoredServices" {
			continue // dumped as world.Services
		}
		if t == worldType && f.Name == "Services" {
			d.line(path+".Services", worldServices(v.Addr().Interface().(*World)))
			continue
		}
		d.walk(path+"."+f.Name, fv, false)
	}
	if d.b.Len() == before {
		d.line(path, "{}")
	}
}

// owners walks the world's clients or channels themselves.
func (d *dumper) owners(path string, m reflect.Value) {
	keys := sortedKeys(m)
	if len(keys) == 0 {
		d.line(path, "{}")
	}
	for _, k := range keys {
		d.walk(path+"["+k.s+"]", m.MapIndex(k.v), true)
	}
}

func (d *dumper) mapping(path string, m reflect.Value) {
	keys := sortedKeys(m)
	if len(keys) == 0 {
		d.line(path, "{}")
	}
	for _, k := range keys {
		d.walk(path+"["+k.s+"]", exported(m.MapIndex(k.v)), false)
	}
}

type mapKey struct {
	s string
	v reflect.Value
}

func sortedKeys(m reflect.Value) []mapKey {
	var keys []mapKey
	for _, k := range m.MapKeys() {
		s, ok := ref(k)
		if !ok {
			s = fmt.Sprint(k.Interface())
		}
		keys = append(keys, mapKey{s: s, v: k})
	}
	slices.SortFunc(keys, func(a, b mapKey) int { return cmp.Compare(a.s, b.s) })
	return keys
}

// btreeItems lists a B-tree's items in order (its shape depends on the
// order they were added in, which the state does not).
func btreeItems(v reflect.Value) string {
	ascend := v.MethodByName("Ascend")
	fnType := ascend.Type().In(0)
	var items []string
	ascend.Call([]reflect.Value{reflect.MakeFunc(fnType, func(args []reflect.Value) []reflect.Value {
		item := args[0]
		if s, ok := ref(item); ok {
			items = append(items, s)
		} else {
			sub := &dumper{}
			sub.walk("", item, false)
			items = append(items, strings.ReplaceAll(strings.TrimSpace(sub.b.String()), "\n", "; "))
		}
		return []reflect.Value{reflect.ValueOf(true)}
	})})
	return "[" + strings.Join(items, ", ") + "]"
}

// worldServices renders World.Services' state, or what a snapshot
// restored for it that package commands has not taken yet.
func worldServices(w *World) string {
	if w.Services == nil {
		if w.restoredServices != nil {
			return string(w.restoredServices)
		}
		return "nil"
	}
	return servicesState(reflect.ValueOf(&w.Services).Elem())
}

func servicesState(v reflect.Value) string {
	if v.IsNil() {
		return "nil"
	}
	if s, ok := v.Interface().(ServiceState); ok {
		data, err := s.SaveState()
		if err != nil {
			return "error: " + err.Error()
		}
		return string(data)
	}
	return "(" + v.Elem().Type().String() + ")"
}

func fieldTypeNames() []string {
	names := make([]string, len(fieldTypes))
	for i, t := range fieldTypes {
		names[i] = reflect.TypeOf(t).Name()
	}
	return names
}
