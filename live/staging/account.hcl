# The AWS account that hosts the staging environment, and who is told when it breaks.
# 222222222222 is a placeholder: replace it with the real account id (bootstrap/README.md, "Placeholders").
locals {
  account_id   = "222222222222"
  account_name = "chat-staging"

  # Created by bootstrap/deploy-role.yaml; the root terragrunt.hcl assumes it for state and provider.
  deploy_role_name = "chat-deploy"

  # Tags on every resource (the root terragrunt.hcl's default_tags).
  owner       = "platform-team"
  cost_centre = "cc-chat-staging"

  # Alarm contacts: the topic and its confirmed email subscriptions come from
  # bootstrap/alarm-contacts.yaml (deployed in us-west-2 and us-east-1); the addresses are repeated
  # here for the monitoring module's own notifications.
  alarm_contacts_topic_name = "chat-staging-alarm-contacts"
  alarm_email_addresses     = ["chat-staging-alarms@example.com"]
}
