# The operators/CI account: where people and the release pipeline sign in before assuming an
# environment's deploy role (bootstrap/deploy-role.yaml trusts it), and what all environments
# share about it. 444444444444 is a placeholder: replace it with the real account id
# (bootstrap/README.md, "Placeholders").
locals {
  account_id = "444444444444"

  # Where on-call reads docs/runbook.md; every alarm's description links <runbook_url>#<alarm key>.
  # A placeholder: point it at the repository's web view.
  runbook_url = "https://git.example.com/platform/chat/blob/main/docs/runbook.md"
}
