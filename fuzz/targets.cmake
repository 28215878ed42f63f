# The libFuzzer targets (one per parser family; fuzz/README.md says what each checks). Read by
# fuzz/CMakeLists.txt, which builds them, and by tests/CMakeLists.txt, which runs them.
set(SPOTBATCH_FUZZ_TARGETS
  object_key_fuzzer
  command_template_fuzzer
  config_fuzzer
  trace_fuzzer
  market_csv_fuzzer
  spot_advisor_fuzzer
  imds_fuzzer
  credentials_fuzzer
  s3_event_fuzzer
  s3_xml_fuzzer
  ec2_xml_fuzzer
  deploy_xml_fuzzer
  aws_json_error_fuzzer
  bill_fuzzer
  dynamodb_item_fuzzer
  sqs_fuzzer)
