#include "core/task_codec.h"

#include <gtest/gtest.h>

namespace spotbatch {
namespace {

TEST(TaskCodec, OutputsRoundTrip) {
  const std::vector<OutputFile> outputs = {{"_spotbatch/staging/t/0", "out/a b/c+d.txt/x"},
                                           {"_spotbatch/staging/t/1", "out/é/y"}};
  std::vector<OutputFile> back;
  ASSERT_TRUE(DecodeOutputs(EncodeOutputs(outputs), &back));
  EXPECT_EQ(back, outputs);
  ASSERT_TRUE(DecodeOutputs("", &back));
  EXPECT_TRUE(back.empty());
}

TEST(TaskCodec, PendingUploadsRoundTrip) {
  const std::vector<PendingUpload> uploads = {
      {"out/v/a.mp4", "_spotbatch/staging/t/0", "2~abc.DEF-ghi_jkl", 16 << 20},
      {"out/v/b.mp4", "_spotbatch/staging/s/3", "x", uint64_t{5} << 30}};
  std::vector<PendingUpload> back;
  ASSERT_TRUE(DecodePendingUploads(EncodePendingUploads(uploads), &back));
  EXPECT_EQ(back, uploads);
  ASSERT_TRUE(DecodePendingUploads("", &back));
  EXPECT_TRUE(back.empty());
}

TEST(TaskCodec, AnythingButTheExactFormIsRefusedWhole) {
  std::vector<OutputFile> outputs;
  for (const char* bad : {"a\tb", "a\n", "a\tb\tc\n", "a\tb\nc\n"}) {
    EXPECT_FALSE(DecodeOutputs(bad, &outputs)) << bad;
    EXPECT_TRUE(outputs.empty()) << "nothing decoded in part";
  }
  std::vector<PendingUpload> uploads;
  const std::string good = "out/a\t_spotbatch/staging/t/0\tid\t5242880\n";
  ASSERT_TRUE(DecodePendingUploads(good, &uploads));
  for (const std::string& bad : {
           good + "out/b\tk\tid\t5\n\n",                   // an empty line
           good + "out/b\tk\tid\n",                        // a field short
           good + "out/b\tk\tid\t5\textra\n",              // a field over
           good + "out/b\tk\tid\t-5\n",                    // not a size
           good + "out/b\tk\tid\t5x\n",                    // trailing junk
           good + "out/b\tk\tid\t\n",                      // no size
           good + "out/b\tk\tid\t5368709121\n",            // over 5 GiB
           good + "out/b\tk\tid\t99999999999999999999\n",  // overflows
           good + "out/b\tk\t\t5\n",                       // no upload id
           good + "\tk\tid\t5\n",                          // no output key
           good + "out/b\tk\ti\rd\t5\n",                   // a control byte
           good + "out/b\tk\tid\t5",                       // no final newline
       }) {
    EXPECT_FALSE(DecodePendingUploads(bad, &uploads)) << bad;
    EXPECT_TRUE(uploads.empty()) << "nothing decoded in part: " << bad;
  }
}

TEST(TaskCodec, OnlyUploadsWithoutControlBytesOrEmptyFieldsAreRecordable) {
  EXPECT_TRUE(IsRecordable({"out/a", "_spotbatch/staging/t/0", "id", 5 << 20}));
  EXPECT_FALSE(IsRecordable({"out/a", "_spotbatch/staging/t/0", "i\td", 5 << 20}));
  EXPECT_FALSE(IsRecordable({"out/a", "_spotbatch/staging/t/0", "i\nd", 5 << 20}));
  EXPECT_FALSE(IsRecordable({"out/a", "_spotbatch/staging/t/0", "", 5 << 20}));
  EXPECT_FALSE(IsRecordable({"", "_spotbatch/staging/t/0", "id", 5 << 20}));
  EXPECT_FALSE(IsRecordable({"out/a", "_spotbatch/staging/t/0", "id", (uint64_t{5} << 30) + 1}));
}

}  // namespace
}  // namespace spotbatch
