package llm_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/tether-dev/tether/llm"
	"github.com/tether-dev/tether/llm/llmtest"
)

func TestListModelsReturnsTheEndpointsModelsInItsOrder(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithAPIKey("sk-test-key-123456"), llmtest.WithModelList("b-model", "a-model", "b-model"))
	c, err := llm.New(srv.Config("a-model"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"b-model", "a-model"}) {
		t.Fatalf("ListModels = %v", got)
	}
	bad := srv.Config("a-model")
	bad.APIKey = "sk-wrong-key-654321"
	c2, _ := llm.New(bad)
	_, err = c2.ListModels(context.Background())
	if err == nil || !strings.Contains(err.Error(), "HTTP 401") || strings.Contains(err.Error(), "sk-wrong-key-654321") {
		t.Fatalf("wrong key: err = %v", err)
	}
}

func TestListModelsSaysWhatToDoWhenTheServerHasNoList(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>nope</html>"))
			return
		}
		http.NotFound(w, r)
	}))
	defer ts.Close()
	c, err := llm.New(llm.Config{BaseURL: ts.URL + "/v1", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListModels(context.Background()); err == nil || !strings.Contains(err.Error(), "type the model's name") {
		t.Fatalf("err = %v", err)
	}
}

func TestWithModelCallsTheOtherModelOnTheSameEndpoint(t *testing.T) {
	srv := llmtest.NewServer(t, llmtest.WithModels("one", "two"))
	srv.Enqueue(llmtest.Reply{Text: "hi"})
	c, err := llm.New(srv.Config("one"))
	if err != nil {
		t.Fatal(err)
	}
	c2, err := c.WithModel(" two ")
	if err != nil {
		t.Fatal(err)
	}
	if c2.Model() != "two" || c.Model() != "one" {
		t.Fatalf("models: %q %q", c.Model(), c2.Model())
	}
	if _, err := c2.Stream(context.Background(), llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: "x"}}}, func(llm.Delta) {}); err != nil {
		t.Fatal(err)
	}
	if reqs := srv.Requests(); len(reqs) != 1 || reqs[0].Model != "two" {
		t.Fatalf("requests: %+v", reqs)
	}
	if _, err := c.WithModel("  "); err == nil {
		t.Fatal("empty model accepted")
	}
}
