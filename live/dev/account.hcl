# The AWS account that hosts the dev environment, and who is told when it breaks.
# 111111111111 is a placeholder: replace it with the real account id (bootstrap/README.md, "Placeholders").
locals {
  account_id   = "111111111111"
  account_name = "chat-dev"

  # Created by bootstrap/deploy-role.yaml; the root terragrunt.hcl assumes it for state and provider.
  deploy_role_name = "chat-deploy"

  # Tags on every resource (the root terragrunt.hcl's default_tags).
  owner       = "platform-team"
  cost_centre = "cc-chat-dev"

  # Alarm contacts: the on-call mailbox the alarm router's email topic subscribes (each address
  # confirms once by mail). Paging and chat receivers are secrets, not config (docs/runbook.md
  # 1.11); cost budget alerts go to the bootstrap's chat-dev-alarm-contacts topic.
  alarm_email_addresses = ["chat-dev-alarms@example.com"]
}
