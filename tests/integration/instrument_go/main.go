// success_rate's service at --success-rate=100, instrumented as
// client_golang's promhttp documents it: InstrumentHandlerInFlight,
// Duration, Counter and ResponseSize around the handler, with the metric
// names and labels promc_http_instrument uses by default. The oracle of
// tests/integration/test_instrument_vs_go.py.
//
// usage: instrument_go APP_PORT METRICS_PORT
package main

import (
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() {
	reg := prometheus.NewRegistry()
	inFlight := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "in_flight_requests",
		Help: "A gauge of requests currently being served by the wrapped handler.",
	})
	counter := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "api_requests_total",
		Help: "A counter for requests to the wrapped handler.",
	}, []string{"code", "method"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "request_duration_seconds",
		Help:    "A histogram of latencies for requests.",
		Buckets: prometheus.DefBuckets,
	}, []string{"code", "method"})
	size := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "response_size_bytes",
		Help:    "A histogram of response sizes for requests.",
		Buckets: []float64{200, 500, 900, 1500},
	}, []string{"code", "method"})
	reg.MustRegister(inFlight, counter, duration, size)

	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != "/":
			w.WriteHeader(404)
			w.Write([]byte("Not Found\n"))
		case r.Method != "GET":
			w.Header().Set("Allow", "GET")
			w.WriteHeader(405)
			w.Write([]byte("Method Not Allowed\n"))
		default:
			w.Write([]byte("OK\n"))
		}
	})
	wrapped := promhttp.InstrumentHandlerInFlight(inFlight,
		promhttp.InstrumentHandlerDuration(duration,
			promhttp.InstrumentHandlerCounter(counter,
				promhttp.InstrumentHandlerResponseSize(size, app))))
	go http.ListenAndServe("127.0.0.1:"+os.Args[2], promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	http.ListenAndServe("127.0.0.1:"+os.Args[1], wrapped)
}
