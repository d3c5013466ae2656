// golang_peer writes to stdout, in the delimited protobuf format, a
// registry filled exactly as tests/integration/protobuf_peer.c fills
// promc's: client_golang's own bytes, for compare_golang.sh to hold
// promc's against family by family.
package main

import (
	"os"
	"time"

	"github.com/golang/protobuf/ptypes/timestamp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// client_golang stamps exemplars with the current time; the gathered
// families get the instant promc's clock is pinned to instead (one a double
// holds exactly).
func fix(e *dto.Exemplar) {
	if e != nil {
		e.Timestamp = &timestamp.Timestamp{Seconds: 1700000000, Nanos: 125000000}
	}
}

// stamped emits const metrics carrying explicit timestamps, as
// protobuf_peer.c's collector does with the promc_emit_*_ts calls.
type stamped struct{}

func (stamped) Describe(chan<- *prometheus.Desc) {}

func (stamped) Collect(ch chan<- prometheus.Metric) {
	at := time.UnixMilli(1700000000123)
	g := prometheus.NewDesc("gc_ts_level", "Stamped gauge.", []string{"a"}, nil)
	ch <- prometheus.NewMetricWithTimestamp(at, prometheus.MustNewConstMetric(g, prometheus.GaugeValue, 7, "x"))
	ch <- prometheus.NewMetricWithTimestamp(time.UnixMilli(-5), prometheus.MustNewConstMetric(g, prometheus.GaugeValue, 8, "y"))
	c := prometheus.NewDesc("gc_ts_total", "Stamped counter.", nil, nil)
	ch <- prometheus.NewMetricWithTimestamp(at, prometheus.MustNewConstMetric(c, prometheus.CounterValue, 3))
	h := prometheus.NewDesc("gc_ts_seconds", "Stamped histogram.", nil, nil)
	ch <- prometheus.NewMetricWithTimestamp(at, prometheus.MustNewConstHistogram(h, 3, 2.5, map[float64]uint64{0.1: 1, 1: 2}))
	s := prometheus.NewDesc("gc_ts_wait_seconds", "Stamped summary.", nil, nil)
	ch <- prometheus.NewMetricWithTimestamp(at, prometheus.MustNewConstSummary(s, 2, 3, map[float64]float64{0.5: 1}))
}

func main() {
	r := prometheus.NewRegistry()
	r.MustRegister(stamped{})

	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gc_requests_total", Help: "Requests \\ \"served\".\nTwo lines."}, []string{"code", "method"})
	r.MustRegister(c)
	c.WithLabelValues("200", "GET").Add(3)
	c.WithLabelValues("500", "P\"O\\ST\n").Add(1.5)

	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "gc_temperature_celsius", Help: ""})
	r.MustRegister(g)
	g.Set(-12.5)

	u := prometheus.NewUntypedFunc(prometheus.UntypedOpts{Name: "gc_untyped", Help: "Untyped."}, func() float64 { return 7 })
	r.MustRegister(u)

	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gc_latency_seconds", Help: "Latency.", Buckets: []float64{0.1, 0.5, 1}}, []string{"path"})
	r.MustRegister(h)
	for _, v := range []float64{0.05, 0.3, 0.3, 2} {
		h.WithLabelValues("/a").Observe(v)
	}
	h.WithLabelValues("/b")

	s := prometheus.NewSummary(prometheus.SummaryOpts{Name: "gc_rpc_seconds", Help: "RPC.", Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01}})
	r.MustRegister(s)
	for _, v := range []float64{1, 2, 3} {
		s.Observe(v)
	}

	n := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gc_native_seconds", Help: "Native.", NativeHistogramBucketFactor: 1.1})
	r.MustRegister(n)
	for _, v := range []float64{1.5, 3, -0.5, 0} {
		n.Observe(v)
	}

	ec := prometheus.NewCounter(prometheus.CounterOpts{Name: "gc_exemplar_total", Help: "With an exemplar."})
	r.MustRegister(ec)
	ec.(prometheus.ExemplarAdder).AddWithExemplar(2.5, prometheus.Labels{"trace_id": "KOO5S4vxi0o"})
	eh := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "gc_exemplar_seconds", Help: "Bucket exemplars.", Buckets: []float64{0.1, 0.5, 1}})
	r.MustRegister(eh)
	eh.(prometheus.ExemplarObserver).ObserveWithExemplar(0.07, prometheus.Labels{"trace_id": "a\"b\\c\nd"})
	eh.Observe(0.3)
	eh.(prometheus.ExemplarObserver).ObserveWithExemplar(7, prometheus.Labels{"trace_id": "slow"})

	mfs, err := r.Gather()
	if err != nil {
		panic(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			if m.Counter != nil {
				fix(m.Counter.Exemplar)
			}
			if m.Histogram != nil {
				for _, b := range m.Histogram.Bucket {
					fix(b.Exemplar)
				}
			}
		}
	}
	enc := expfmt.NewEncoder(os.Stdout, expfmt.FmtProtoDelim)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			panic(err)
		}
	}
}
