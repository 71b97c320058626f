// Command crud is a Lambda function behind an AWS_PROXY integration: a
// JSON store in memory, kept as long as the process stays warm.
//
//	GET    /items        all items, as a JSON object by id
//	GET    /items/{id}   one item, or 404
//	PUT    /items/{id}   store the body (any JSON), 200
//	POST   /items/{id}   same as PUT, 201
//	DELETE /items/{id}   remove, 204 (404 if absent)
//
// Other paths answer 404, other methods 405. A body that is not JSON is a
// 400.
package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

var (
	mu    sync.Mutex
	items = map[string]json.RawMessage{}
)

func handle(req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	path := strings.Trim(req.Path, "/")
	id, hasID := strings.CutPrefix(path, "items/")
	if path != "items" && (!hasID || id == "" || strings.Contains(id, "/")) {
		return reply(http.StatusNotFound, map[string]string{"message": "not found"})
	}
	mu.Lock()
	defer mu.Unlock()
	if path == "items" {
		if req.HTTPMethod != http.MethodGet {
			return reply(http.StatusMethodNotAllowed, map[string]string{"message": "method not allowed"})
		}
		return reply(http.StatusOK, items)
	}
	switch req.HTTPMethod {
	case http.MethodGet:
		item, ok := items[id]
		if !ok {
			return reply(http.StatusNotFound, map[string]string{"message": "no item " + id})
		}
		return reply(http.StatusOK, item)
	case http.MethodPut, http.MethodPost:
		if !json.Valid([]byte(req.Body)) {
			return reply(http.StatusBadRequest, map[string]string{"message": "body must be JSON"})
		}
		items[id] = json.RawMessage(req.Body)
		status := http.StatusOK
		if req.HTTPMethod == http.MethodPost {
			status = http.StatusCreated
		}
		return reply(status, items[id])
	case http.MethodDelete:
		if _, ok := items[id]; !ok {
			return reply(http.StatusNotFound, map[string]string{"message": "no item " + id})
		}
		delete(items, id)
		return events.APIGatewayProxyResponse{StatusCode: http.StatusNoContent}, nil
	default:
		return reply(http.StatusMethodNotAllowed, map[string]string{"message": "method not allowed"})
	}
}

func reply(status int, v any) (events.APIGatewayProxyResponse, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}, nil
}

func main() {
	lambda.Start(handle)
}
