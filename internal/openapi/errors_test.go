package openapi

import "errors"

// errorsAs is errors.As, named so table tests read plainly.
func errorsAs(err error, target any) bool { return errors.As(err, target) }
