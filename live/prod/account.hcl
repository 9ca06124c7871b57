# The AWS account that hosts the prod environment, and who is told when it breaks.
# 333333333333 is a placeholder: replace it with the real account id (bootstrap/README.md, "Placeholders").
locals {
  account_id   = "333333333333"
  account_name = "chat-prod"

  # Created by bootstrap/deploy-role.yaml; the root terragrunt.hcl assumes it for state and provider.
  deploy_role_name = "chat-deploy"

  # Tags on every resource (the root terragrunt.hcl's default_tags).
  owner       = "platform-team"
  cost_centre = "cc-chat-prod"

  # Alarm contacts: the on-call mailbox the alarm router's email topic subscribes (each address
  # confirms once by mail). Paging and chat receivers are secrets, not config (docs/runbook.md
  # 1.11); cost budget alerts go to the bootstrap's chat-prod-alarm-contacts topic.
  alarm_email_addresses = ["chat-prod-alarms@example.com"]
}
