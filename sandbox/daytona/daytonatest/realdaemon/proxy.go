package realdaemon

import (
	"net/http"
	"net/http/httputil"
	"net/url"
)

// toolboxProxy forwards toolbox requests (WebSocket upgrades included) to
// the daemon through tr.
type toolboxProxy struct{ rp *httputil.ReverseProxy }

func newToolboxProxy(target *url.URL, tr http.RoundTripper) *toolboxProxy {
	return &toolboxProxy{rp: &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = target.Host
		},
		Transport:     tr,
		FlushInterval: -1,
		// A request cut by a daemon being stopped is the test's business,
		// not a line on the test binary's stderr.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			http.Error(w, "realdaemon: "+err.Error(), http.StatusBadGateway)
		},
	}}
}

// ServeHTTP proxies in full duplex. By default Go's HTTP/1 server drains
// and closes a request body once the handler starts its response; but the
// transport, having sent a body of known length, reads it once more to
// check it is not longer (net/http transferWriter.writeBody). When the
// daemon answers fast (a download) that read can land after the close:
// it fails with "invalid Read on closed Body", the transport tears down
// the daemon connection, and the answer being copied is cut (the client
// sees unexpected EOF; the proxy logs "use of closed network connection").
// golang/go#40747. Not an HTTP/1 server (a test recorder): nothing to do.
func (p *toolboxProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = http.NewResponseController(w).EnableFullDuplex()
	p.rp.ServeHTTP(w, r)
}
