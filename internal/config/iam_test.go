package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadIAM(t *testing.T) {
	t.Setenv("ARCHWAY_TEST_BOB_SECRET", "bob-secret-from-env")
	t.Setenv("ARCHWAY_TEST_BOB_TOKEN", "token-from-env")
	dir := t.TempDir()
	p := write(t, dir, FileName, `apis:
  - definition: api.yaml
iam:
  accountId: "123456789012"
  users:
    - name: alice
      accessKeyId: AKIAALICE
      secretAccessKey: alice-secret
      policies:
        - {Effect: Allow, Action: execute-api:Invoke, Resource: "arn:aws:execute-api:*:*:*/prod/GET/pets*"}
        - Sid: NoDeletes
          Effect: Deny
          Action: [execute-api:Invoke, execute-api:InvalidateCache]
          NotResource: ["arn:aws:execute-api:*:*:*/prod/DELETE/*"]
    - name: bob
      userId: AIDABOB
      accessKeyId: ASIABOB
      secretAccessKey: ${env:ARCHWAY_TEST_BOB_SECRET}
      sessionToken: "prefix-${env:ARCHWAY_TEST_BOB_TOKEN}"
`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	want := IAM{AccountID: "123456789012", Users: []IAMUser{
		{Name: "alice", AccessKeyID: "AKIAALICE", SecretAccessKey: "alice-secret", Policies: []IAMStatement{
			{Effect: "Allow", Action: StringList{"execute-api:Invoke"}, Resource: StringList{"arn:aws:execute-api:*:*:*/prod/GET/pets*"}},
			{Sid: "NoDeletes", Effect: "Deny", Action: StringList{"execute-api:Invoke", "execute-api:InvalidateCache"}, NotResource: StringList{"arn:aws:execute-api:*:*:*/prod/DELETE/*"}},
		}},
		{Name: "bob", UserID: "AIDABOB", AccessKeyID: "ASIABOB", SecretAccessKey: "bob-secret-from-env", SessionToken: "prefix-token-from-env"},
	}}
	if diff := cmp.Diff(want, c.IAM); diff != "" {
		t.Errorf("iam (-want +got):\n%s", diff)
	}
}

func TestLoadIAMDefaults(t *testing.T) {
	p := write(t, t.TempDir(), FileName, "apis:\n  - definition: api.yaml\n")
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(IAM{}, c.IAM); diff != "" {
		t.Errorf("iam (-want +got):\n%s", diff)
	}
}

func TestLoadIAMErrors(t *testing.T) {
	const head = "apis:\n  - definition: api.yaml\niam:\n"
	user := func(extra string) string {
		return head + "  users:\n    - name: u\n      accessKeyId: AKIA1\n      secretAccessKey: s\n" + extra
	}
	tests := []struct{ name, yaml, want string }{
		{"account not 12 digits", head + "  accountId: \"12345\"\n", `iam.accountId "12345": an AWS account id is 12 digits`},
		{"no name", head + "  users:\n    - accessKeyId: A\n      secretAccessKey: s\n", "iam.users[0]: name is required"},
		{"no access key", head + "  users:\n    - name: u\n      secretAccessKey: s\n", "iam.users[0] (u): accessKeyId is required"},
		{"no secret", head + "  users:\n    - name: u\n      accessKeyId: A\n", "iam.users[0] (u): secretAccessKey is required"},
		{"unset env", head + "  users:\n    - name: u\n      accessKeyId: A\n      secretAccessKey: ${env:ARCHWAY_TEST_SURELY_UNSET}\n", "secretAccessKey: environment variable ARCHWAY_TEST_SURELY_UNSET is not set"},
		{"key with a slash", head + "  users:\n    - name: u\n      accessKeyId: A/B\n      secretAccessKey: s\n", "accessKeyId must not contain"},
		{"duplicate key", user("    - name: v\n      accessKeyId: AKIA1\n      secretAccessKey: t\n"), "iam.users[1] (v): accessKeyId is also the key of user u"},
		{"bad effect", user("      policies: [{Effect: allow, Action: x, Resource: y}]\n"), `policies[0]: statement Effect "allow": write Allow or Deny`},
		{"action and NotAction", user("      policies: [{Effect: Allow, Action: x, NotAction: z, Resource: y}]\n"), "give exactly one of Action and NotAction"},
		{"no resource", user("      policies: [{Effect: Allow, Action: x}]\n"), "give exactly one of Resource and NotResource"},
		{"condition is unknown", user("      policies: [{Effect: Allow, Action: x, Resource: y, Condition: {}}]\n"), "Condition"},
		{"unknown user key", user("      password: x\n"), "password"},
		{"resource not a string", user("      policies: [{Effect: Allow, Action: x, Resource: {a: b}}]\n"), "archway.yaml:8:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, t.TempDir(), FileName, tc.yaml)
			_, err := Load(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
