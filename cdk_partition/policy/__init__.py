"""Pure IAM policy logic: the policy evaluator (never imports aws_cdk)."""
