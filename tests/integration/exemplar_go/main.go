// client_golang's half of the exemplar interop check
// (tests/integration/exemplars.sh): the same counters, histogram and
// exemplars as tests/integration/exemplar_dump.c, written as OpenMetrics by
// expfmt. client_golang stamps exemplars with the current time; the
// gathered families get a fixed instant instead, and each exemplar's
// labels are sorted by name (Go keeps them in map order).
//
// Built offline from Debian's packages (GO111MODULE=off, GOPATH including
// /usr/share/gocode).
package main

import (
	"os"
	"sort"
	"time"

	"github.com/golang/protobuf/ptypes/timestamp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

func fix(e *dto.Exemplar) {
	if e == nil {
		return
	}
	t := time.Unix(1700000000, 123000000)
	e.Timestamp = &timestamp.Timestamp{Seconds: t.Unix(), Nanos: int32(t.Nanosecond())}
	sort.Slice(e.Label, func(i, j int) bool { return e.Label[i].GetName() < e.Label[j].GetName() })
}

func main() {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ex_requests_total", Help: "Requests."})
	esc := prometheus.NewCounter(prometheus.CounterOpts{Name: "ex_escaped_total", Help: "Escaping."})
	big := prometheus.NewCounter(prometheus.CounterOpts{Name: "ex_big_total", Help: "Big values."})
	v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ex_by_code_total", Help: "By code."}, []string{"code"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ex_latency_seconds", Help: "Latency.", Buckets: []float64{0.1, 0.5, 1}})
	reg.MustRegister(c, esc, big, v, h)

	c.(prometheus.ExemplarAdder).AddWithExemplar(2.5, prometheus.Labels{"trace_id": "KOO5S4vxi0o"})
	esc.(prometheus.ExemplarAdder).AddWithExemplar(0.25, prometheus.Labels{"trace_id": "a\"b\\c\nd \u00fc\u2603"})
	big.(prometheus.ExemplarAdder).AddWithExemplar(1e21, prometheus.Labels{"span_id": "00f067aa0ba902b7", "trace_id": "4bf92f3577b34da6"})
	v.WithLabelValues("200").(prometheus.ExemplarAdder).AddWithExemplar(3.5, prometheus.Labels{"trace_id": "0123456789abcdef"})
	v.WithLabelValues("500").Add(0.5)
	eo := h.(prometheus.ExemplarObserver)
	eo.ObserveWithExemplar(0.05, prometheus.Labels{"trace_id": "first"})
	eo.ObserveWithExemplar(0.07, prometheus.Labels{"trace_id": "KOO5S4vxi0o"})
	eo.ObserveWithExemplar(0.67, prometheus.Labels{"trace_id": "KOO5S4vxi0o"})
	h.Observe(0.3)
	eo.ObserveWithExemplar(7, prometheus.Labels{"trace_id": "slow"})

	mfs, err := reg.Gather()
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
		if _, err := expfmt.MetricFamilyToOpenMetrics(os.Stdout, mf); err != nil {
			panic(err)
		}
	}
	if _, err := expfmt.FinalizeOpenMetrics(os.Stdout); err != nil {
		panic(err)
	}
}
