// client_golang's side of the native-histogram oracle
// (tests/integration/native_vs_go.sh): reads the cases native_cases.py
// wrote, observes them with client_golang's own histogram and prints every
// scrape as one JSON object a line, which the script compares with what
// native_dump (promc) prints for the same input.
//
// Input, one item a line:
//
//	case NAME FACTOR ZERO_THRESHOLD MAX_BUCKETS MIN_RESET_SECONDS MAX_ZERO_THRESHOLD BUCKETS
//	VALUE            (observed; NaN, +Inf, -Inf accepted)
//	scrape           (a scrape: one JSON line)
//	end              (a last scrape and the text exposition)
//
// BUCKETS is "-" (none: native only) or comma-separated upper bounds.
// Built offline from Debian's packages: GO111MODULE=off, GOPATH including
// /usr/share/gocode.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

func parse(s string) float64 {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return x
}

func spans(ss []*dto.BucketSpan) string {
	parts := []string{}
	for _, s := range ss {
		parts = append(parts, fmt.Sprintf("[%d,%d]", s.GetOffset(), s.GetLength()))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func deltas(ds []int64) string {
	parts := []string{}
	for _, d := range ds {
		parts = append(parts, strconv.FormatInt(d, 10))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func dump(w *bufio.Writer, name string, idx int, h prometheus.Histogram) {
	var m dto.Metric
	if err := h.Write(&m); err != nil {
		panic(err)
	}
	x := m.GetHistogram()
	bs := []string{}
	for _, b := range x.GetBucket() {
		if !math.IsInf(b.GetUpperBound(), 1) {
			bs = append(bs, fmt.Sprintf("[%s,%d]", num(b.GetUpperBound()), b.GetCumulativeCount()))
		}
	}
	fmt.Fprintf(w, `{"case":%q,"scrape":%d,"count":%d,"sum":%s,"buckets":[%s]`,
		name, idx, x.GetSampleCount(), num(x.GetSampleSum()), strings.Join(bs, ","))
	if x.Schema != nil {
		fmt.Fprintf(w, `,"native":true,"schema":%d,"zero_threshold":%s,"zero_count":%d,`+
			`"pos_spans":%s,"pos_deltas":%s,"neg_spans":%s,"neg_deltas":%s`,
			x.GetSchema(), num(x.GetZeroThreshold()), x.GetZeroCount(),
			spans(x.GetPositiveSpan()), deltas(x.GetPositiveDelta()),
			spans(x.GetNegativeSpan()), deltas(x.GetNegativeDelta()))
	}
	fmt.Fprintln(w, "}")
}

func text(w *bufio.Writer, name string, h prometheus.Histogram) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(h)
	mfs, err := reg.Gather()
	if err != nil {
		panic(err)
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			panic(err)
		}
	}
	fmt.Fprintf(w, "{\"case\":%q,\"text\":%s}\n", name, strconv.Quote(b.String()))
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	var h prometheus.Histogram
	var name string
	idx := 0
	for in.Scan() {
		f := strings.Fields(in.Text())
		switch {
		case len(f) == 0:
		case f[0] == "case":
			opts := prometheus.HistogramOpts{
				Name:                            "h",
				Help:                            "H.",
				NativeHistogramBucketFactor:     parse(f[2]),
				NativeHistogramZeroThreshold:    parse(f[3]),
				NativeHistogramMaxBucketNumber:  uint32(parse(f[4])),
				NativeHistogramMinResetDuration: time.Duration(math.Round(parse(f[5]) * 1e9)),
				NativeHistogramMaxZeroThreshold: parse(f[6]),
			}
			if f[7] != "-" {
				for _, b := range strings.Split(f[7], ",") {
					opts.Buckets = append(opts.Buckets, parse(b))
				}
			}
			name = f[1]
			idx = 0
			h = prometheus.NewHistogram(opts)
		case f[0] == "scrape":
			dump(w, name, idx, h)
			idx++
		case f[0] == "end":
			dump(w, name, idx, h)
			text(w, name, h)
		default:
			h.Observe(parse(f[0]))
		}
	}
	if err := in.Err(); err != nil {
		panic(err)
	}
}
