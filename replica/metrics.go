package replica

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/chainkey/chainkey/replica/subnet"
)

// metrics are the node's Prometheus metrics, in a registry of its own so
// that several nodes can share a process.
type metrics struct {
	reg             *prometheus.Registry
	height          prometheus.Gauge
	certifiedHeight prometheus.Gauge
	beaconRound     prometheus.Gauge
	pending         prometheus.Gauge
	presigStock     *prometheus.GaugeVec
	signLatency     prometheus.Histogram
	signed          prometheus.Gauge
	dkgRounds       prometheus.Counter
	convicted       *prometheus.GaugeVec
	dealings        *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		height: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "chainkey", Name: "height",
			Help: "Last committed block height."}),
		certifiedHeight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "chainkey", Name: "certified_height",
			Help: "Last height whose state root is threshold-signed."}),
		beaconRound: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "chainkey", Name: "beacon_round",
			Help: "Latest random beacon round."}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "chainkey", Name: "sign_requests_pending",
			Help: "Signing requests accepted and not yet answered."}),
		presigStock: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "chainkey", Name: "presignature_stock",
			Help: "Presignatures available per key."}, []string{"key_id"}),
		signLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "chainkey", Name: "sign_latency_seconds",
			Help:    "Time from submission to certified reply of signing requests submitted to this node.",
			Buckets: prometheus.ExponentialBuckets(0.05, 1.6, 14)}),
		signed: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "chainkey", Name: "sign_requests_replied",
			Help: "Signing requests answered by the subnet."}),
		dkgRounds: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "chainkey", Name: "dkg_rounds_total",
			Help: "Key generation and resharing rounds completed."}),
		convicted: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "chainkey", Name: "convicted_total",
			Help: "Proven misbehaviour per node."}, []string{"node"}),
		dealings: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "chainkey", Name: "idkg_dealings_total",
			Help: "IDKG dealings executed in blocks: used in a transcript, late (not needed any more) or bad."}, []string{"result"}),
	}
	m.reg.MustRegister(m.height, m.certifiedHeight, m.beaconRound, m.pending, m.presigStock, m.signLatency,
		m.signed, m.dkgRounds, m.convicted, m.dealings,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	return mux
}

func (m *metrics) observeCommit(cs *subnet.State) {
	m.height.Set(float64(cs.Height))
	m.certifiedHeight.Set(float64(cs.LastCertified))
	m.beaconRound.Set(float64(cs.BeaconRound))
	m.pending.Set(float64(len(cs.Pending)))
	m.signed.Set(float64(cs.Replied))
	for k, v := range cs.Convicted {
		m.convicted.WithLabelValues(itoa(int(k))).Set(float64(v))
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	p := len(b)
	for i > 0 {
		p--
		b[p] = byte('0' + i%10)
		i /= 10
	}
	return string(b[p:])
}
