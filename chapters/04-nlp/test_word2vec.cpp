// Chapter 04: the negative-sampling gradient, subsampling and the unigram table, the
// held-out split of WordNet, the evaluation metric, PPMI and the SVD by hand, skip-gram on
// a corpus small enough to know the answer, the seed's E(w) = W·e(w), and the program on
// bad input.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <dl/app/results.hpp>
#include <dl/io.hpp>
#include <dl/ops.hpp>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "../../tests/test_support.hpp"
#include "word2vec.hpp"
#include "wordnet.hpp"

namespace {

void write_file(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// Offsets whose split is known (splitmix64(offset) % 10): 0-3 train, 4 and 5 validation, 17 and 34 test.
constexpr int64_t kTrain[] = {0, 1, 2, 3}, kValidation[] = {4, 5}, kTest[] = {17, 34};

// One line of a WordNet data file.
std::string data_line(int64_t offset, const std::vector<std::string>& lemmas, const std::string& gloss, const char* type = "n") {
  char head[64];
  std::snprintf(head, sizeof head, "%08lld 05 %s %02zx", static_cast<long long>(offset), type, lemmas.size());
  std::string line = head;
  for (const auto& l : lemmas) line += " " + l + " 0";
  return line + " 000 | " + gloss + "  \n";
}

// A WordNet folder: a licence line, then the given noun lines; the other parts hold one synset each.
void write_wordnet(const test::TempDir& dir, const std::string& nouns) {
  write_file(dir.file("data.noun"), "  1 This software and database is being provided\n" + nouns);
  write_file(dir.file("data.verb"), data_line(2, {"run", "go"}, "move fast; \"run home\"", "v"));
  write_file(dir.file("data.adj"), data_line(3, {"big(a)", "large"}, "above average in size", "a"));
  write_file(dir.file("data.adv"), data_line(17, {"quickly", "fast"}, "with speed; \"he ran quickly\"", "r"));
}

test::ProgramResult run_word2vec(const std::string& args) { return test::run_program(CHAPTER_PROGRAM, args); }

}  // namespace

TEST_CASE("sgns: the loss and its gradient match finite differences", "[ch04][grad]") {
  constexpr int64_t D = 6, rows = 4;  // the context word and three negatives
  dl::Generator gen(7);
  std::vector<double> v(D), u(rows * D);
  for (double& x : v) x = gen.normal();
  for (double& x : u) x = 0.5 * gen.normal();
  const auto loss_at = [&](const std::vector<double>& vv, const std::vector<double>& uu) {
    std::vector<double> gv(D), gu(rows * D);
    const double* pu[rows];
    double* pg[rows];
    for (int64_t j = 0; j < rows; ++j) pu[j] = uu.data() + j * D, pg[j] = gu.data() + j * D;
    return ch04::sgns_loss_and_grad<double>(vv.data(), pu, rows, D, gv.data(), pg);
  };
  // The loss by its definition: -log σ(u_0·v) - Σ_k log σ(-u_k·v).
  double expected = 0;
  for (int64_t j = 0; j < rows; ++j) {
    double s = 0;
    for (int64_t d = 0; d < D; ++d) s += u[j * D + d] * v[d];
    expected -= std::log(1 / (1 + std::exp(j == 0 ? -s : s)));
  }
  CHECK(loss_at(v, u) == Approx(expected).epsilon(1e-12));

  std::vector<double> gv(D, 0.0), gu(rows * D, 0.0);
  const double* pu[rows];
  double* pg[rows];
  for (int64_t j = 0; j < rows; ++j) pu[j] = u.data() + j * D, pg[j] = gu.data() + j * D;
  ch04::sgns_loss_and_grad<double>(v.data(), pu, rows, D, gv.data(), pg);
  const double eps = 1e-6;
  for (int64_t d = 0; d < D; ++d) {
    std::vector<double> plus = v, minus = v;
    plus[d] += eps, minus[d] -= eps;
    CHECK(gv[d] == Approx((loss_at(plus, u) - loss_at(minus, u)) / (2 * eps)).margin(1e-8));
  }
  for (int64_t i = 0; i < rows * D; ++i) {
    std::vector<double> plus = u, minus = u;
    plus[i] += eps, minus[i] -= eps;
    CHECK(gu[i] == Approx((loss_at(v, plus) - loss_at(v, minus)) / (2 * eps)).margin(1e-8));
  }

  // Training's fused call (grad_u = u, scale = -lr) is one SGD step on u; v's step is left in grad_v.
  const double lr = 0.1;
  std::vector<double> u_step = u, v_step(D, 0.0);
  double* pu_step[rows];
  for (int64_t j = 0; j < rows; ++j) pu_step[j] = u_step.data() + j * D;
  ch04::sgns_loss_and_grad<double>(v.data(), pu_step, rows, D, v_step.data(), pu_step, -lr);
  for (int64_t i = 0; i < rows * D; ++i) CHECK(u_step[i] == Approx(u[i] - lr * gu[i]).margin(1e-12));
  for (int64_t d = 0; d < D; ++d) CHECK(v_step[d] == Approx(-lr * gv[d]).margin(1e-12));
}

TEST_CASE("subsampling: word2vec's keep probability, capped at 1, and none at t = 0", "[ch04]") {
  const std::vector<int64_t> counts = {900, 90, 10};  // shares 0.9, 0.09, 0.01
  const std::vector<float> keep = ch04::keep_probabilities(counts, 0.01);
  CHECK(keep[0] == Approx((std::sqrt(0.9 / 0.01) + 1) * 0.01 / 0.9));  // about 0.117
  CHECK(keep[1] == Approx((std::sqrt(9.0) + 1) * 0.01 / 0.09));         // 4/9
  CHECK(keep[2] == 1.0f);                                               // (1 + 1) * 1 > 1
  for (float k : ch04::keep_probabilities(counts, 0.0)) CHECK(k == 1.0f);
}

TEST_CASE("unigram table: each word fills its share of count^0.75", "[ch04]") {
  // 1^0.75 = 1 and 16^0.75 = 8: shares 1/9 and 8/9 of 900 cells.
  const std::vector<int> table = ch04::unigram_table(std::vector<int64_t>{1, 16}, 0.75, 900);
  CHECK(std::count(table.begin(), table.end(), 0) == 100);
  CHECK(std::count(table.begin(), table.end(), 1) == 800);
  CHECK(ch04::unigram_table(std::vector<int64_t>{1, 2, 1}, 1.0, 4) == std::vector<int>{0, 1, 1, 2});
  // At power 0.75 a rare word gets more than its count's share: 81 vs 1 -> 27 vs 1, not 81 vs 1.
  const std::vector<int> smoothed = ch04::unigram_table(std::vector<int64_t>{81, 1}, 0.75, 2800);
  CHECK(std::count(smoothed.begin(), smoothed.end(), 1) == 100);
  CHECK_THROWS_WITH(ch04::unigram_table(std::vector<int64_t>{}, 0.75, 10), Catch::Contains("at least one word"));
}

TEST_CASE("tokenize_words: lower-case runs of letters and apostrophes", "[ch04]") {
  using V = std::vector<std::string>;
  CHECK(ch04::tokenize_words("'Tis the dogs' day; don't 3-D well-known") == V{"tis", "the", "dogs", "day", "don't", "d", "well", "known"});
  CHECK(ch04::tokenize_words("  ''  42 ") == V{});
  CHECK(ch04::lemma_word("Dog") == "dog");
  CHECK(ch04::lemma_word("o'clock") == "o'clock");
  CHECK(ch04::lemma_word("domestic_dog").empty());
  CHECK(ch04::lemma_word("3-D").empty());
}

TEST_CASE("synset split: fixed by the offset alone, about 80/10/10", "[ch04]") {
  for (int64_t o : kTrain) CHECK(ch04::synset_split(o) == ch04::Split::train);
  for (int64_t o : kValidation) CHECK(ch04::synset_split(o) == ch04::Split::validation);
  for (int64_t o : kTest) CHECK(ch04::synset_split(o) == ch04::Split::test);
  CHECK(ch04::synset_split(2084071) == ch04::Split::train);  // dog
  std::map<ch04::Split, int> counts;
  for (int64_t o = 0; o < 100000; ++o) ++counts[ch04::synset_split(o * 37 + 1740)];
  CHECK(counts[ch04::Split::train] == Approx(80000).epsilon(0.02));
  CHECK(counts[ch04::Split::validation] == Approx(10000).epsilon(0.05));
  CHECK(counts[ch04::Split::test] == Approx(10000).epsilon(0.05));
  CHECK(std::string(ch04::split_name(ch04::Split::test)) == "test");
}

TEST_CASE("WordNet: lemmas, glosses, and the test glosses never reach the corpus", "[ch04]") {
  test::TempDir dir;
  write_wordnet(dir, data_line(0, {"dog", "domestic_dog", "Canis_familiaris"}, "a member of the genus Canis; \"the dog barked\"") +
                         data_line(1, {"cat", "true_cat"}, "feline mammal") +
                         data_line(17, {"car", "auto", "automobile"}, "a motor vehicle; \"zyzzyva drives it\"") +
                         data_line(4, {"car", "railcar"}, "a wheeled vehicle on rails") +
                         data_line(34, {"auto", "car"}, "another test synset"));
  const std::vector<ch04::Synset> synsets = ch04::read_wordnet(dir.str());
  REQUIRE(synsets.size() == 8);
  CHECK(synsets[0].offset == 0);
  CHECK(synsets[0].lex_filenum == 5);
  CHECK(synsets[0].lemmas == std::vector<std::string>{"dog", "domestic_dog", "Canis_familiaris"});
  CHECK(synsets[0].gloss == "a member of the genus Canis; \"the dog barked\"");
  CHECK(synsets[6].pos == 'a');
  CHECK(synsets[6].lemmas == std::vector<std::string>{"big", "large"});  // "(a)" cut

  const ch04::TextCorpus corpus = ch04::build_corpus(synsets, {});
  CHECK(corpus.held_out_glosses == 4);  // offsets 17, 4 and 34 (nouns) and 17 (adverb)
  CHECK(corpus.glosses == 4);
  for (const auto& sentence : corpus.sentences)
    for (const auto& w : sentence) CHECK((w != "zyzzyva" && w != "rails" && w != "another" && w != "quickly"));

  // Pairs: car-automobile and auto-automobile only in test synsets; auto-car also in a
  // test synset; car-railcar in a validation synset; big-large, run-go in train synsets.
  const ch04::SynonymPairs pairs = ch04::synonym_pairs(synsets, [](const std::string&) { return true; });
  using P = std::vector<std::pair<std::string, std::string>>;
  CHECK(pairs.test == P{{"auto", "automobile"}, {"auto", "car"}, {"automobile", "car"}, {"fast", "quickly"}});
  CHECK(pairs.validation == P{{"car", "railcar"}});
  const ch04::SynonymPairs known = ch04::synonym_pairs(synsets, [](const std::string& w) { return w != "automobile"; });
  CHECK(known.test == P{{"auto", "car"}, {"fast", "quickly"}});
}

TEST_CASE("WordNet and fortunes: missing files name their Debian packages and flags", "[ch04][errors]") {
  test::TempDir dir;
  CHECK_THROWS_WITH(ch04::read_wordnet(dir.file("nowhere")),
                    Catch::Contains("wordnet-base") && Catch::Contains("--data") && Catch::Contains("does not exist"));
  write_wordnet(dir, "00000000 05 n zz dog 0 000 | a dog\n");
  CHECK_THROWS_WITH(ch04::read_wordnet(dir.str()), Catch::Contains("data.noun:2") && Catch::Contains("word count"));
  CHECK_THROWS_WITH(ch04::read_fortune_entries(dir.file("wisdom")), Catch::Contains("fortunes") && Catch::Contains("--fortunes"));
  write_file(dir.file("wisdom"), "A penny saved.\n%\n\n%\nTwo\nlines.\n");
  CHECK(ch04::read_fortune_entries(dir.file("wisdom")) == std::vector<std::string>{"A penny saved.\n", "\n", "Two\nlines.\n"});
}

TEST_CASE("retrieval: ranks, MRR and recall@10 on a hand-made case", "[ch04]") {
  // Four unit vectors on a quarter circle: 0 at 0°, 1 at about 37°, 2 at about 53°, 3 at 90°.
  const dl::Tensor unit = dl::Tensor::from_data({4, 2}, {1, 0, 0.8f, 0.6f, 0.6f, 0.8f, 0, 1});
  const std::vector<std::pair<int, int>> pairs = {{0, 1}, {0, 2}, {3, 0}, {2, 1}};
  // 0 -> 1: nearest. 0 -> 2: 1 is nearer. 3 -> 0: 2 and 1 are nearer. 2 -> 1: 3 (0.8) ties 1 (0.96)? no: 1 is nearest.
  const std::vector<int64_t> ranks = ch04::neighbour_ranks(unit, pairs);
  CHECK(ranks == std::vector<int64_t>{1, 2, 3, 1});
  const ch04::RetrievalScore s = ch04::retrieval_score(ranks);
  CHECK(s.mrr == Approx((1 + 0.5 + 1.0 / 3 + 1) / 4));
  CHECK(s.recall_at_10 == 1.0);
  CHECK(s.queries == 4);
  // The standard error of the mean of 1, 1/2, 1/3, 1: the sample sd over sqrt(4).
  const double mean = (1 + 0.5 + 1.0 / 3 + 1) / 4;
  const double var = (std::pow(1 - mean, 2) * 2 + std::pow(0.5 - mean, 2) + std::pow(1.0 / 3 - mean, 2)) / 3;
  CHECK(s.mrr_stderr == Approx(std::sqrt(var / 4)));
  const std::vector<int64_t> far = {1, 10, 11, 100};
  CHECK(ch04::retrieval_score(far).recall_at_10 == 0.5);
  CHECK(ch04::retrieval_score(far).mrr == Approx((1 + 0.1 + 1.0 / 11 + 0.01) / 4));
  CHECK(ch04::retrieval_score(std::vector<int64_t>{}).queries == 0);

  const auto near = ch04::nearest(unit, 0, 2);
  REQUIRE(near.size() == 2);
  CHECK(near[0].id == 1);
  CHECK(near[0].cosine == Approx(0.8f));
  CHECK(near[1].id == 2);
  // 1 - 0 + 3 = (-0.2, 1.6): nearest of the rest (only 2 is left) is 2.
  CHECK(ch04::analogy(unit, 0, 1, 3, 3).at(0).id == 2);
  CHECK(ch04::normalize_rows(dl::Tensor::from_data({2, 2}, {3, 4, 0, 0})).to_vector() == std::vector<float>{0.6f, 0.8f, 0, 0});
  CHECK_THROWS_WITH(ch04::nearest(unit, 4, 1), Catch::Contains("outside the vocabulary"));
}

TEST_CASE("co-occurrence counts: window weights, symmetric, sentences kept apart", "[ch04]") {
  // Window 2: distance 1 weighs (2 - 1 + 1) / 2 = 1, distance 2 weighs 1/2.
  const ch04::SparseMatrix n = ch04::cooccurrence({{0, 1, 2}, {2, 0}}, 3, 2);
  CHECK(n.at(0, 1) == 1.0f);
  CHECK(n.at(1, 0) == 1.0f);
  CHECK(n.at(0, 2) == 1.5f);  // distance 2 in the first sentence, 1 in the second
  CHECK(n.at(1, 2) == 1.0f);
  CHECK(n.at(1, 1) == 0.0f);
  CHECK(n.nonzeros() == 6);
  CHECK(ch04::cooccurrence({{1, 0}, {1}}, 2, 1).at(1, 1) == 0.0f);  // no pair across sentences
}

TEST_CASE("PPMI: a 2x2 count matrix by hand", "[ch04]") {
  // n = [[2, 1], [1, 0]]: n_w = n_c = (3, 1), total 4.
  ch04::SparseMatrix n;
  n.rows = n.cols = 2;
  n.indptr = {0, 2, 3};
  n.indices = {0, 1, 0};
  n.values = {2, 1, 1};
  const ch04::SparseMatrix plain = ch04::ppmi(n, 1.0);
  // PMI(0,0) = log(2*4/(3*3)) < 0: dropped. PMI(0,1) = PMI(1,0) = log(1*4/(3*1)).
  CHECK(plain.at(0, 0) == 0.0f);
  CHECK(plain.at(0, 1) == Approx(std::log(4.0 / 3)));
  CHECK(plain.at(1, 0) == Approx(std::log(4.0 / 3)));
  CHECK(plain.nonzeros() == 2);
  // With alpha = 0.75: Z = 3^0.75 + 1, PMI(0,1) = log(1 * Z / (3 * 1^0.75)).
  const double z = std::pow(3.0, 0.75) + 1;
  CHECK(ch04::ppmi(n, 0.75).at(0, 1) == Approx(std::log(z / 3)));
  CHECK(ch04::ppmi(n, 0.75).at(1, 0) == Approx(std::log(z / std::pow(3.0, 0.75))));
}

TEST_CASE("randomized SVD: the singular values and vectors of a scaled permutation", "[ch04]") {
  // Row i holds s[i] in column perm[i]: singular values s sorted, left vectors the unit rows.
  const std::vector<float> s = {1, 7, 0.5f, 3, 5, 0.25f, 2, 0.1f};
  const std::vector<int32_t> perm = {3, 0, 6, 1, 7, 2, 5, 4};
  ch04::SparseMatrix a;
  a.rows = a.cols = 8;
  for (int64_t i = 0; i <= 8; ++i) a.indptr.push_back(i);
  a.indices = perm;
  a.values = s;
  // 5 random directions, sharpened 5 times: what is left of the smaller values is about
  // (sigma_6 / sigma_3)^(2*5+1) = (0.5/3)^11, far below the tolerance.
  const ch04::TruncatedSvd svd = ch04::randomized_svd(a, 3, 5, 2, 5);
  REQUIRE(svd.sigma.size() == 3);
  CHECK(svd.sigma[0] == Approx(7).epsilon(1e-4));
  CHECK(svd.sigma[1] == Approx(5).epsilon(1e-4));
  CHECK(svd.sigma[2] == Approx(3).epsilon(1e-4));
  // Column j is ± the unit vector of the row that holds the j-th largest value: rows 1, 4, 3.
  const int expected_row[] = {1, 4, 3};
  for (int j = 0; j < 3; ++j)
    for (int i = 0; i < 8; ++i)
      CHECK(std::abs(svd.u.at(i * 3 + j)) == Approx(i == expected_row[j] ? 1.0f : 0.0f).margin(1e-4));
  CHECK_THROWS_WITH(ch04::randomized_svd(a, 9, 1), Catch::Contains("must be in 1.."));
}

TEST_CASE("skip-gram: words that share contexts become nearest neighbours, the same for the same seed", "[ch04]") {
  // cat and dog live among pets' words, car and truck among roads' words; never side by side.
  const std::vector<std::string> pets = {"purrs", "sleeps", "eats", "fur", "vet", "pet", "naps", "plays"};
  const std::vector<std::string> roads = {"drives", "road", "engine", "fuel", "wheels", "garage", "parks", "speeds"};
  std::vector<std::vector<std::string>> text;
  dl::Generator gen(1);
  for (int i = 0; i < 400; ++i) {
    const bool pet = i % 2 == 0;
    const auto& words = pet ? pets : roads;
    std::vector<std::string> sentence;
    for (int k = 0; k < 3; ++k) sentence.push_back(words[gen.below(words.size())]);
    sentence.insert(sentence.begin() + 1, pet ? (i % 4 == 0 ? "cat" : "dog") : (i % 4 == 1 ? "car" : "truck"));
    text.push_back(sentence);
  }
  const ch04::Vocabulary vocab(text, 1);
  CHECK(vocab.size() == 20);
  CHECK(vocab.total() == 1600);
  const auto ids = vocab.encode(text);
  ch04::SkipGramOptions o{.dim = 16, .window = 2, .negatives = 5, .epochs = 30, .lr = 0.05f, .subsample = 0,
                          .table_size = 10000, .seed = 3, .threads = 1, .log_every = 1000};
  std::vector<double> losses;
  const ch04::SkipGram model = ch04::train_skipgram(ids, vocab, o, [&](const ch04::SkipGramLog& log) { losses.push_back(log.loss); });
  REQUIRE(losses.size() >= 10);
  CHECK(losses.back() < 0.75 * losses.front());
  const dl::Tensor unit = ch04::normalize_rows(model.input);
  CHECK(vocab.word(ch04::nearest(unit, vocab.id("cat"), 1)[0].id) == "dog");
  CHECK(vocab.word(ch04::nearest(unit, vocab.id("dog"), 1)[0].id) == "cat");
  CHECK(vocab.word(ch04::nearest(unit, vocab.id("car"), 1)[0].id) == "truck");
  CHECK(vocab.word(ch04::nearest(unit, vocab.id("truck"), 1)[0].id) == "car");
  // One thread, same seed: the same vectors.
  CHECK(ch04::train_skipgram(ids, vocab, o).input.to_vector() == model.input.to_vector());
  // PPMI + SVD finds the same pairs on this corpus.
  const dl::Tensor svd = ch04::normalize_rows(ch04::ppmi_svd_embeddings(ids, vocab.size(), {.window = 2, .dim = 4, .seed = 1}));
  CHECK(vocab.word(ch04::nearest(svd, vocab.id("cat"), 1)[0].id) == "dog");
  CHECK(vocab.word(ch04::nearest(svd, vocab.id("car"), 1)[0].id) == "truck");
}

TEST_CASE("vocabulary: by falling count then alphabetically, and rare words are dropped from sentences", "[ch04]") {
  const ch04::Vocabulary vocab({{"b", "a", "c", "a"}, {"c", "d"}, {"d"}}, 2);
  CHECK(vocab.words() == std::vector<std::string>{"a", "c", "d"});
  CHECK(vocab.counts() == std::vector<int64_t>{2, 2, 2});
  CHECK(vocab.id("b") == -1);
  CHECK(vocab.encode({{"b", "a"}, {"b"}, {"d", "c"}}) == std::vector<std::vector<int>>{{0}, {2, 1}});
}

// [seed-formula]
TEST_CASE("the seed's E(w) = W e(w): a one-hot product is the embedding lookup, gradients too", "[ch04][grad]") {
  // W is stored (V, D), one row per word, so W·e(w) of the formula reads row w: e(w)ᵀ W here.
  constexpr int64_t V = 7, D = 3;
  dl::Generator gen(11);
  const dl::Tensor table = dl::Tensor::randn({V, D}, gen);
  const std::vector<int> ids = {4, 0, 4, 6};  // a repeated word gets both rows' gradients
  std::vector<float> one_hot(ids.size() * V, 0.0f);
  for (size_t n = 0; n < ids.size(); ++n) one_hot[n * V + static_cast<size_t>(ids[n])] = 1.0f;
  const dl::Tensor e = dl::Tensor::from_data({static_cast<int64_t>(ids.size()), V}, one_hot);
  const dl::Tensor upstream = dl::Tensor::randn({static_cast<int64_t>(ids.size()), D}, gen);

  dl::Tensor w1 = table.clone(), w2 = table.clone();
  w1.requires_grad_();
  w2.requires_grad_();
  const dl::Tensor by_product = dl::matmul(e, w1);                                             // (N, V) x (V, D)
  const dl::Tensor by_lookup = dl::embedding(w2, ids, {static_cast<int64_t>(ids.size())});     // rows of W
  CHECK(by_product.to_vector() == by_lookup.to_vector());
  dl::sum(by_product * upstream).backward();
  dl::sum(by_lookup * upstream).backward();
  CHECK(w1.grad().to_vector() == w2.grad().to_vector());  // row 4 holds two rows of upstream, rows 1-3, 5 zeros
  CHECK(w2.grad().at(4 * D) == upstream.at(0) + upstream.at(2 * D));
  // A bias b adds the same vector to every word's embedding: differences between words,
  // and so everything a following linear layer can tell apart, stay the same.
}
// [seed-formula]

TEST_CASE("word2vec: a run on a tiny WordNet writes every result file", "[ch04]") {
  test::TempDir dir, out;
  std::string nouns;
  const std::vector<std::string> words = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
                                          "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon"};
  for (int i = 0; i < 200; ++i) {
    std::string gloss;
    for (int k = 0; k < 6; ++k) gloss += words[static_cast<size_t>((i * 7 + k * 3) % 20)] + " ";
    nouns += data_line(100 + i, {words[static_cast<size_t>(i % 20)], words[static_cast<size_t>((i + 1) % 20)]}, gloss);
  }
  // One test pair (offset 17) and one validation pair (offset 4) that no train synset holds.
  write_wordnet(dir, data_line(4, {"beta", "lambda"}, "beta") + data_line(17, {"alpha", "kappa"}, "alpha") + nouns);
  const test::ProgramResult r = run_word2vec("--data " + dir.str() + " --corpus wordnet --dim 4 --epochs 2 --min-count 1 --threads 1 "
                                "--probes alpha,nonesuch --write-corpus " + out.file("corpus.txt") + " --out " + out.str());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.output, Catch::Contains("nonesuch: not in the vocabulary"));
  const dl::app::Json summary = dl::app::read_json_file(out.file("summary.json"));
  CHECK(summary["chapter"] == "04-nlp");
  CHECK(summary["vocabulary"] == 28);  // the 20 words, move fast run home of the verb, above average in size of the adjective
  CHECK(summary["corpus_counts"]["held_out_glosses"] == 39 + 3);  // 39 generated, beta-lambda's, alpha-kappa's, the adverb's
  REQUIRE(summary["evaluation"].size() == 4);
  CHECK(summary["evaluation"][0]["model"] == "skipgram");
  CHECK(summary["evaluation"][1]["model"] == "skipgram_input");
  CHECK(summary["evaluation"][2]["model"] == "ppmi_svd");
  CHECK(summary["evaluation"][3]["model"] == "random");
  CHECK(summary["evaluation"][0]["pairs"] == 1);  // alpha-kappa, asked both ways
  CHECK(summary["evaluation"][0]["queries"] == 2);
  CHECK(summary["validation_evaluation"][0]["pairs"] == 1);  // beta-lambda
  std::map<std::string, std::string> metadata;
  const dl::NamedTensors vectors = dl::load_safetensors(out.file("vectors.safetensors"), &metadata);
  REQUIRE(vectors.size() == 1);
  CHECK(vectors[0].first == "embeddings");
  CHECK(vectors[0].second.shape() == dl::Shape{summary["vocabulary"].get<int64_t>(), 4});
  const std::string vocab = test::read_text(out.file("vocab.txt"));
  CHECK(std::count(vocab.begin(), vocab.end(), '\n') == summary["vocabulary"].get<int64_t>());
  CHECK(dl::app::read_json_file(out.file("neighbours.json"))["probes"][0]["word"] == "alpha");
  CHECK(dl::app::read_json_file(out.file("projection.json"))["x"].is_array());
  CHECK(!test::read_text(out.file("metrics.jsonl")).empty());

  // --write-corpus: the training sentences, one per line; every word is in vocab.txt.
  const std::string corpus = test::read_text(out.file("corpus.txt"));
  CHECK(std::count(corpus.begin(), corpus.end(), '\n') == 200 - 39 + 2);  // train glosses, the verb's, the adjective's
  std::istringstream words_in(corpus);
  std::set<std::string> corpus_words(std::istream_iterator<std::string>{words_in}, {});
  CHECK(static_cast<int64_t>(corpus_words.size()) == summary["vocabulary"].get<int64_t>());

  // --evaluate scores vectors from a file: the saved vectors score what the summary says.
  std::string text = std::to_string(vectors[0].second.size(0)) + " 4\n";
  std::istringstream vocab_in(vocab);
  std::string word;
  for (int64_t row = 0; std::getline(vocab_in, word); ++row) {
    text += word;
    for (int64_t d = 0; d < 4; ++d) text += " " + std::to_string(vectors[0].second.data()[row * 4 + d]);
    text += "\n";
  }
  write_file(out.file("vectors.txt"), text);
  const test::ProgramResult scored = run_word2vec("--data " + dir.str() + " --corpus wordnet --min-count 1 --evaluate " +
                                                  out.file("vectors.txt") + " --out " + out.str());
  INFO(scored.output);
  REQUIRE(scored.exit_code == 0);
  const dl::app::Json evaluation = dl::app::read_json_file(out.file("evaluate.json"))["evaluation"][0];
  CHECK(evaluation["model"] == "vectors");
  CHECK(evaluation["mrr"].get<double>() == Approx(summary["evaluation"][0]["mrr"].get<double>()).epsilon(1e-4));
  CHECK(evaluation["queries"] == 2);
}

TEST_CASE("word2vec text vectors: rows in the vocabulary's order, clear errors on bad files", "[ch04][errors]") {
  test::TempDir dir;
  const ch04::Vocabulary vocab({{"b", "a", "a"}}, 1);  // a = 0, b = 1
  write_file(dir.file("ok.txt"), "3 2\nb 1 2\nzzz 9 9\na -0.5 3e-1\n");
  const dl::Tensor e = ch04::read_word2vec_text(dir.file("ok.txt"), vocab);
  REQUIRE(e.shape() == dl::Shape{2, 2});
  CHECK(e.data()[0] == -0.5f);
  CHECK(e.data()[1] == Approx(0.3f));
  CHECK(e.data()[2] == 1.0f);
  const auto error_of = [&](const std::string& text) {
    write_file(dir.file("bad.txt"), text);
    try {
      ch04::read_word2vec_text(dir.file("bad.txt"), vocab);
    } catch (const dl::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(error_of(""), Catch::Contains("bad.txt:1") && Catch::Contains("empty"));
  CHECK_THAT(error_of("2\na 1\n"), Catch::Contains("bad.txt:1") && Catch::Contains("header"));
  CHECK_THAT(error_of("2 2\na 1\nb 1 2\n"), Catch::Contains("bad.txt:2") && Catch::Contains("2 numbers"));
  CHECK_THAT(error_of("2 2\na 1 2 3\nb 1 2\n"), Catch::Contains("bad.txt:2") && Catch::Contains("more than 2"));
  CHECK_THAT(error_of("2 2\na 1 x\nb 1 2\n"), Catch::Contains("bad.txt:2"));
  CHECK_THAT(error_of("1 2\na 1 2\nb 1 2\n"), Catch::Contains("bad.txt:3") && Catch::Contains("more rows"));
  CHECK_THAT(error_of("3 2\na 1 2\nb 1 2\n"), Catch::Contains("promises 3 rows"));
  CHECK_THAT(error_of("2 2\na 1 2\na 1 2\n"), Catch::Contains("bad.txt:3") && Catch::Contains("twice"));
  CHECK_THAT(error_of("1 2\na 1 2\n"), Catch::Contains("1 words of the vocabulary have no vector") && Catch::Contains("\"b\""));
  CHECK_THROWS_AS(ch04::read_word2vec_text(dir.file("nonexistent.txt"), vocab), dl::FileError);
}

TEST_CASE("word2vec: a missing WordNet names wordnet-base and --data (exit 1), bad flags exit 2", "[ch04][errors]") {
  test::TempDir out;
  const test::ProgramResult missing = run_word2vec("--data /nonexistent/wordnet --out " + out.str());
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("wordnet-base") && Catch::Contains("--data DIR"));
  const test::ProgramResult fortunes = run_word2vec("--corpus all --fortunes /nonexistent/fortunes --out " + out.str());
  CHECK(fortunes.exit_code == 1);
  CHECK_THAT(fortunes.output, Catch::Contains("fortunes") && Catch::Contains("--fortunes DIR"));
  const test::ProgramResult bogus = run_word2vec("--bogus");
  CHECK(bogus.exit_code == 2);
  CHECK_THAT(bogus.output, Catch::Contains("--bogus") && Catch::Contains("Usage"));
  CHECK(run_word2vec("--corpus books").exit_code == 2);
  CHECK(run_word2vec("--dim 0").exit_code == 2);
  CHECK(run_word2vec("--subsample nan").exit_code == 2);
}
