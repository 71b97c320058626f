package admin

import (
	"net/http"

	rt "github.com/archway-gw/archway/internal/runtime"
)

// flushAuthorizers is AWS's FlushStageAuthorizersCache: DELETE
// /api/apis/{apiId}/stages/{stage}/authorizers/cache answers 202 Accepted
// with no body, as AWS does; an API or stage the live snapshot does not
// serve is 404.
func (a *api) flushAuthorizers(w http.ResponseWriter, r *http.Request) {
	apiID, stage := r.PathValue("apiId"), r.PathValue("stage")
	if !serves(a.opts.Gateway.Snapshot(), apiID, stage) {
		writeError(w, http.StatusNotFound, "no stage "+stage+" of API "+apiID+" is served (GET /api/apis lists them)")
		return
	}
	if err := a.opts.FlushAuthorizers(r.Context(), apiID, stage); err != nil {
		a.opts.Logger.Error("flushing the authorizer cache", "api", apiID, "stage", stage, "error", err.Error())
		writeError(w, http.StatusInternalServerError, "the authorizer cache could not be flushed: "+err.Error())
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// serves reports whether the snapshot serves the stage of the API.
func serves(snap *rt.Snapshot, apiID, stage string) bool {
	if snap == nil {
		return false
	}
	for _, api := range snap.APIs {
		if api.ID == apiID {
			_, ok := api.Stages[stage]
			return ok
		}
	}
	return false
}
