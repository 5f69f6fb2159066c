package web

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"chatd/ircd"
	"chatd/state"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// StoreStats is what /metrics reads of the store (store.Store has it).
type StoreStats interface {
	QueueLength() int
	QueueCapacity() int
	ObserveWrites(fn func(time.Duration))
}

// Metrics is chatd's Prometheus registry. Every number in it is read from
// an atomic (ircd.Stats, the state goroutine's published values, a
// channel's length) or kept by a histogram the owning goroutine feeds, so
// a scrape never waits on the state goroutine, a connection or the disk,
// and it answers while the server shuts down.
type Metrics struct {
	reg      *prometheus.Registry
	events   prometheus.Histogram
	writes   prometheus.Histogram
	channels atomic.Int64 // published by the state goroutine
}

// NewMetrics registers chatd's metrics. It feeds the event histogram from
// world (World.ObserveEvents: call it before the world runs) and, when st
// is not nil, the store's latency histogram.
func NewMetrics(irc *ircd.Stats, world *state.World, st StoreStats) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.events = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "chatd_state_event_seconds",
		Help:    "Time the state goroutine spent on each event (a client's line, a slice of a long reply, a connect or quit).",
		Buckets: []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 5e-2},
	})
	m.reg.MustRegister(m.events)
	world.ObserveEvents(func(d time.Duration) {
		m.events.Observe(d.Seconds())
		m.channels.Store(int64(len(world.Channels())))
	})
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chatd_state_queue_length",
		Help: "Events waiting for the state goroutine.",
	}, func() float64 { return float64(world.QueueLength()) }))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chatd_state_queue_capacity",
		Help: "Events that may wait for the state goroutine before readers stop reading.",
	}, func() float64 { return float64(world.QueueCapacity()) }))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "chatd_channels",
		Help: "Channels (groups and the lobby) that exist.",
	}, func() float64 { return float64(m.channels.Load()) }))
	if st != nil {
		m.writes = prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "chatd_store_write_seconds",
			Help:    "Time from a store write's submission to its commit (accounts, registered groups).",
			Buckets: []float64{1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1},
		})
		m.reg.MustRegister(m.writes)
		st.ObserveWrites(func(d time.Duration) { m.writes.Observe(d.Seconds()) })
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "chatd_store_queue_length",
			Help: "Store writes waiting for the disk.",
		}, func() float64 { return float64(st.QueueLength()) }))
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "chatd_store_queue_capacity",
			Help: "Store writes that may wait before new ones are refused.",
		}, func() float64 { return float64(st.QueueCapacity()) }))
	}
	m.reg.MustRegister(&netCollector{stats: irc})
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Timeout: 5 * time.Second})
}

// netCollector turns ircd.Stats into metrics at scrape time.
type netCollector struct{ stats *ircd.Stats }

var (
	descClients = prometheus.NewDesc("chatd_clients", "Open client connections by transport, registered (NICK/USER done) or not.",
		[]string{"transport", "registered"}, nil)
	descLinesIn = prometheus.NewDesc("chatd_lines_in_total", "Lines received from clients, by command (unknown commands are \"other\").",
		[]string{"command"}, nil)
	descLinesOut = prometheus.NewDesc("chatd_lines_out_total", "Lines queued to clients, by command or numeric.",
		[]string{"command"}, nil)
	descBytesIn  = prometheus.NewDesc("chatd_bytes_in_total", "Bytes of lines received from clients (without line ends).", nil, nil)
	descBytesOut = prometheus.NewDesc("chatd_bytes_out_total", "Bytes written to clients.", nil, nil)
	descDrops    = prometheus.NewDesc("chatd_sendq_drops_total", "Clients dropped because their send queue filled (SendQ exceeded).", nil, nil)
	descFlood    = prometheus.NewDesc("chatd_flood_disconnects_total", "Clients dropped for flooding (Excess Flood).", nil, nil)
	descRefused  = prometheus.NewDesc("chatd_connections_refused_total", "Connections refused before registration, by reason (the limit, or what the web side refused).",
		[]string{"reason"}, nil)
)

func (c *netCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descClients, descLinesIn, descLinesOut, descBytesIn, descBytesOut, descDrops, descFlood, descRefused} {
		ch <- d
	}
}

func (c *netCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats
	for _, k := range ircd.Kinds() {
		for _, reg := range []bool{false, true} {
			ch <- prometheus.MustNewConstMetric(descClients, prometheus.GaugeValue, float64(s.Clients(k, reg)), k.String(), strconv.FormatBool(reg))
		}
	}
	s.EachLineIn(func(cmd string, n uint64) {
		ch <- prometheus.MustNewConstMetric(descLinesIn, prometheus.CounterValue, float64(n), cmd)
	})
	s.EachLineOut(func(cmd string, n uint64) {
		ch <- prometheus.MustNewConstMetric(descLinesOut, prometheus.CounterValue, float64(n), cmd)
	})
	ch <- prometheus.MustNewConstMetric(descBytesIn, prometheus.CounterValue, float64(s.BytesIn()))
	ch <- prometheus.MustNewConstMetric(descBytesOut, prometheus.CounterValue, float64(s.BytesOut()))
	ch <- prometheus.MustNewConstMetric(descDrops, prometheus.CounterValue, float64(s.SendQDrops()))
	ch <- prometheus.MustNewConstMetric(descFlood, prometheus.CounterValue, float64(s.FloodDisconnects()))
	s.EachRefusal(func(reason string, n uint64) {
		ch <- prometheus.MustNewConstMetric(descRefused, prometheus.CounterValue, float64(n), reason)
	})
}
