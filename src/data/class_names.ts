/**
 * Built-in class names of the supported datasets, used when the dataset's own
 * name files are not available (CIFAR ships them as text files; MNIST-style data
 * does not ship them at all).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CIFAR10_CLASSES, FASHION_MNIST_CLASSES } from "./class_names.ts";
 * assert.equal(FASHION_MNIST_CLASSES[9], "Ankle boot");
 * assert.equal(CIFAR10_CLASSES[0], "airplane");
 * ```
 * @module
 */

/**
 * MNIST digits "0".."9".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MNIST_CLASSES } from "./class_names.ts";
 * assert.equal(MNIST_CLASSES[7], "7");
 * ```
 */
export const MNIST_CLASSES: readonly string[] = Object.freeze(
  Array.from({ length: 10 }, (_, i) => String(i)),
);

/**
 * Fashion-MNIST's 10 classes, as listed in its official README.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FASHION_MNIST_CLASSES } from "./class_names.ts";
 * assert.equal(FASHION_MNIST_CLASSES[0], "T-shirt/top");
 * ```
 */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
]);

/**
 * CIFAR-10's 10 classes, in label order (as in `batches.meta.txt`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CIFAR10_CLASSES } from "./class_names.ts";
 * assert.equal(CIFAR10_CLASSES[9], "truck");
 * ```
 */
export const CIFAR10_CLASSES: readonly string[] = Object.freeze([
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
]);

/**
 * CIFAR-100's 100 fine classes, in label order (as in `fine_label_names.txt`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CIFAR100_FINE_CLASSES } from "./class_names.ts";
 * assert.deepEqual([CIFAR100_FINE_CLASSES[0], CIFAR100_FINE_CLASSES[99]], ["apple", "worm"]);
 * ```
 */
export const CIFAR100_FINE_CLASSES: readonly string[] = Object.freeze(
  (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle " +
    "bowl boy bridge bus butterfly camel can castle caterpillar cattle " +
    "chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur " +
    "dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard " +
    "lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle mountain " +
    "mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree " +
    "plain plate poppy porcupine possum rabbit raccoon ray road rocket " +
    "rose sea seal shark shrew skunk skyscraper snail snake spider " +
    "squirrel streetcar sunflower sweet_pepper table tank telephone television tiger tractor " +
    "train trout tulip turtle wardrobe whale willow_tree wolf woman worm"
  ).split(" "),
);

/**
 * CIFAR-100's 20 coarse classes (superclasses), in label order (as in
 * `coarse_label_names.txt`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CIFAR100_COARSE_CLASSES } from "./class_names.ts";
 * assert.equal(CIFAR100_COARSE_CLASSES[0], "aquatic_mammals");
 * ```
 */
export const CIFAR100_COARSE_CLASSES: readonly string[] = Object.freeze([
  "aquatic_mammals",
  "fish",
  "flowers",
  "food_containers",
  "fruit_and_vegetables",
  "household_electrical_devices",
  "household_furniture",
  "insects",
  "large_carnivores",
  "large_man-made_outdoor_things",
  "large_natural_outdoor_scenes",
  "large_omnivores_and_herbivores",
  "medium_mammals",
  "non-insect_invertebrates",
  "people",
  "reptiles",
  "small_mammals",
  "trees",
  "vehicles_1",
  "vehicles_2",
]);
