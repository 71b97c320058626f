package config

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// DefaultIAMAccountID is the account of the IAM users archway.yaml declares
// when iam.accountId is not set (the account LocalStack and Archway use for
// everything local).
const DefaultIAMAccountID = "000000000000"

// IAM is the iam: section of archway.yaml: the credentials that SigV4-signed
// requests to AWS_IAM methods are verified against, and the identity
// policies that decide whether each user may call execute-api:Invoke on a
// method. Default: no users, so every signed request fails as an unknown
// access key.
type IAM struct {
	// AccountID is the account the users belong to ($context.identity.accountId,
	// their ARNs). Default "000000000000".
	AccountID string `yaml:"accountId"`
	// Users are the IAM users and their access keys. Default none.
	Users []IAMUser `yaml:"users"`
}

// IAMUser is one IAM user with one access key.
type IAMUser struct {
	// Name is the user name (arn:aws:iam::ACCOUNT:user/NAME). Required.
	Name string `yaml:"name"`
	// UserID is the unique id AWS gives the user ($context.identity.user and
	// caller). Default: "AIDA" and 17 characters derived from the account
	// and the name, stable across restarts.
	UserID string `yaml:"userId"`
	// AccessKeyID is the access key id clients sign with. Required; may be
	// ${env:NAME}.
	AccessKeyID string `yaml:"accessKeyId"`
	// SecretAccessKey is the key's secret. Required; may be ${env:NAME}.
	SecretAccessKey string `yaml:"secretAccessKey"`
	// SessionToken, when set, makes the key a temporary (session)
	// credential: requests must carry it as X-Amz-Security-Token. Default
	// "": a long-term key, which must not carry a token. May be ${env:NAME}.
	SessionToken string `yaml:"sessionToken"`
	// Policies are the user's identity-policy statements. Default none: the
	// user may call nothing (implicit deny).
	Policies []IAMStatement `yaml:"policies"`
}

// IAMStatement is one statement of an identity policy, with IAM's own key
// names. Action, NotAction, Resource and NotResource are a string or a list.
type IAMStatement struct {
	// Sid names the statement. Optional.
	Sid string `yaml:"Sid"`
	// Effect is Allow or Deny. Required.
	Effect string `yaml:"Effect"`
	// Action lists the actions the statement covers (execute-api:Invoke,
	// execute-api:*, *); * and ? are wildcards, case-insensitive.
	Action StringList `yaml:"Action"`
	// NotAction covers every action but these. Use Action or NotAction.
	NotAction StringList `yaml:"NotAction"`
	// Resource lists execute-api ARNs; * and ? are wildcards.
	Resource StringList `yaml:"Resource"`
	// NotResource covers every resource but these. Use Resource or NotResource.
	NotResource StringList `yaml:"NotResource"`
}

// StringList is a YAML string or list of strings, as IAM policies write
// Action and Resource.
type StringList []string

// UnmarshalYAML reads "x" or [x, y].
func (s *StringList) UnmarshalYAML(unmarshal func(any) error) error {
	var one string
	if err := unmarshal(&one); err == nil {
		*s = StringList{one}
		return nil
	}
	var many []string
	if err := unmarshal(&many); err != nil {
		return fmt.Errorf("write a string or a list of strings: %w", err)
	}
	*s = many
	return nil
}

var (
	envRef    = regexp.MustCompile(`\$\{env:([^}]*)\}`)
	accountRe = regexp.MustCompile(`^[0-9]{12}$`)
)

// expandEnv replaces ${env:NAME} with the variable's value; an unset
// variable is an error, so that a missing secret never becomes "".
func expandEnv(s string) (string, error) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(m string) string {
		name := envRef.FindStringSubmatch(m)[1]
		v, ok := os.LookupEnv(name)
		if !ok || name == "" {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	return out, nil
}

// resolve checks the iam: section and expands
// ${env:NAME} in the credentials.
func (c *IAM) resolve(path string) error {
	if c.AccountID != "" && !accountRe.MatchString(c.AccountID) {
		return fmt.Errorf("%s: iam.accountId %q: an AWS account id is 12 digits", path, c.AccountID)
	}
	keys := map[string]string{}
	for i := range c.Users {
		u := &c.Users[i]
		where := fmt.Sprintf("%s: iam.users[%d]", path, i)
		if u.Name == "" {
			return fmt.Errorf("%s: name is required", where)
		}
		where += " (" + u.Name + ")"
		for _, f := range []struct {
			name     string
			v        *string
			required bool
		}{{"accessKeyId", &u.AccessKeyID, true}, {"secretAccessKey", &u.SecretAccessKey, true}, {"sessionToken", &u.SessionToken, false}} {
			v, err := expandEnv(*f.v)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", where, f.name, err)
			}
			*f.v = v
			if f.required && v == "" {
				return fmt.Errorf("%s: %s is required", where, f.name)
			}
		}
		if strings.ContainsAny(u.AccessKeyID, "/ \t,=") {
			return fmt.Errorf("%s: accessKeyId must not contain '/', ',', '=' or blanks", where)
		}
		if other, dup := keys[u.AccessKeyID]; dup {
			return fmt.Errorf("%s: accessKeyId is also the key of user %s", where, other)
		}
		keys[u.AccessKeyID] = u.Name
		for j, st := range u.Policies {
			if err := st.check(); err != nil {
				return fmt.Errorf("%s: policies[%d]: %w", where, j, err)
			}
		}
	}
	return nil
}

func (st IAMStatement) check() error {
	if st.Effect != "Allow" && st.Effect != "Deny" {
		return fmt.Errorf("statement Effect %q: write Allow or Deny", st.Effect)
	}
	if (len(st.Action) == 0) == (len(st.NotAction) == 0) {
		return fmt.Errorf("give exactly one of Action and NotAction")
	}
	if (len(st.Resource) == 0) == (len(st.NotResource) == 0) {
		return fmt.Errorf("give exactly one of Resource and NotResource")
	}
	return nil
}
