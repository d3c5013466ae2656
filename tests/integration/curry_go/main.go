// client_golang's half of the curried-label check (tests/integration/curry_vs_go.sh):
// the same lookups through curried vectors, and the same partial-match
// deletions on the base vectors, as tests/integration/curry_dump.c; prints
// each deletion's count, then the registry in the text format.
//
// Built offline from Debian's packages (GO111MODULE=off, GOPATH including
// /usr/share/gocode).
package main

import (
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

func main() {
	reg := prometheus.NewRegistry()
	jobs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jobs_total", Help: "Jobs."},
		[]string{"job", "node", "path"})
	temp := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "temp", Help: "Temperature."},
		[]string{"room", "sensor", "unit"})
	reg.MustRegister(jobs, temp)

	a := jobs.MustCurryWith(prometheus.Labels{"job": "a"})
	a.WithLabelValues("i1", "/x").Inc()
	a.WithLabelValues("i2", "/x").Add(2)
	a.WithLabelValues("i1", "/y").Add(3)
	jobs.WithLabelValues("b", "i1", "/x").Add(4)
	jobs.WithLabelValues("ab", "i1", "/x").Add(5)
	a1 := a.MustCurryWith(prometheus.Labels{"node": "i1"})
	a1.WithLabelValues("/z").Add(6)
	all := jobs.MustCurryWith(prometheus.Labels{"path": "/q", "job": "c", "node": "i9"})
	all.WithLabelValues().Add(7)
	esc := jobs.MustCurryWith(prometheus.Labels{"job": "q\"b\\s\nn"})
	esc.WithLabelValues("i1", "/x").Add(8)
	esc.WithLabelValues("i3", "/x").Add(9)

	sensor := temp.MustCurryWith(prometheus.Labels{"sensor": "s1"})
	sensor.WithLabelValues("kitchen", "C").Set(21.5)
	sensor.WithLabelValues("cellar", "C").Set(12)
	temp.WithLabelValues("kitchen", "s2", "F").Set(70)

	fmt.Printf("removed %d\n", jobs.DeletePartialMatch(prometheus.Labels{"node": "i2"}))
	fmt.Printf("removed %d\n", jobs.DeletePartialMatch(prometheus.Labels{"path": "/x", "job": "a"}))
	fmt.Printf("removed %d\n", jobs.DeletePartialMatch(prometheus.Labels{"job": "q\"b\\s\nn", "node": "i1"}))
	fmt.Printf("removed %d\n", jobs.DeletePartialMatch(prometheus.Labels{"job": "zz"}))
	fmt.Printf("removed %d\n", jobs.DeletePartialMatch(prometheus.Labels{"job": ""}))
	fmt.Printf("removed %d\n", temp.DeletePartialMatch(prometheus.Labels{"room": "kitchen"}))
	deleted := 0
	if a.DeleteLabelValues("i1", "/y") {
		deleted = 1
	}
	fmt.Printf("removed %d\n", deleted)
	a.WithLabelValues("i1", "/x").Add(10) // back, from zero

	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(os.Stdout, mf); err != nil {
			panic(err)
		}
	}
}
