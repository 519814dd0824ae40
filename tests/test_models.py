"""Model names, files and weights; feature layers; errors that name close alternatives."""

import base64
import json
import logging
import re
import shutil
import warnings
import zipfile

import h5py
import numpy as np
import pytest

from live.errors import LayerError, ModelError, UsageError
from models import feature_layers, list_models, load_model
from models.hed_weights import bundled_weights_path
from models.loading import check_choice, input_for_picture
from models.registry import find_spec
from tests.conftest import DATA, transfer_model


def test_vgg16_default_weights_are_the_bundled_ones(vgg16):
    with h5py.File(bundled_weights_path(), "r") as f:
        np.testing.assert_array_equal(vgg16.model.get_layer("block1_conv1").get_weights()[0],
                                      f["block1/layers/conv2d/vars/0"][()])
        np.testing.assert_array_equal(vgg16.model.get_layer("block5_conv3").get_weights()[1],
                                      f["block5/layers/conv2d_2/vars/1"][()])
    assert "HED" in vgg16.weights and vgg16.input_hw == (224, 224)


def test_vgg16_feature_layers(vgg16):
    names = [layer.name for layer in vgg16.layers]
    assert names[0] == "block1_conv1" and "block5_pool" in names and "input_layer" not in names
    assert vgg16.layer("block1_conv1").channels == 64
    assert vgg16.layer("block3_conv3").channels == 256 and vgg16.layer("block3_conv3").height == 56


def test_unknown_layer_lists_close_names(vgg16):
    with pytest.raises(LayerError, match="no layer 'block1_conv9'.*block1_conv1"):
        vgg16.layer("block1_conv9")
    with pytest.raises(LayerError, match="no layer '5'. --layer takes a layer's name \\(see --list-layers\\); "
                                         "stage 5, which the key 5 jumps to, is block5_conv1."):
        vgg16.layer("5")  # a number, as the digit keys take: it was told only "See --list-layers"
    with pytest.raises(LayerError, match="no layer '7'. See --list-layers.$"):
        vgg16.layer("7")  # VGG16 has five stages


def test_a_layer_named_in_capitals_is_found(vgg16):
    """BLOCK1_CONV2, as a paper's table or Caps Lock writes it: the layer, not "no layer" without a hint."""
    assert vgg16.layer("BLOCK1_CONV2").name == "block1_conv2" and vgg16.index_of("Block3_Conv3") == 8
    with pytest.raises(LayerError, match="no layer 'BLOCK1_CONV9'. Did you mean: block1_conv2, block1_conv1"):
        vgg16.layer("BLOCK1_CONV9")


def test_unknown_model_lists_close_names():
    with pytest.raises(UsageError, match="unknown model 'mobilenetv9'.*mobilenet"):
        load_model("mobilenetv9")


def test_a_folder_named_like_a_model_does_not_hide_the_model(tmp_path, monkeypatch):
    from models.loading import check_choice

    monkeypatch.chdir(tmp_path)
    (tmp_path / "vgg16").mkdir()
    check_choice("vgg16")  # the name, not the folder
    (tmp_path / "vgg61").mkdir()
    with pytest.raises(ModelError, match="'vgg61' is a folder"):
        check_choice("vgg61")


@pytest.mark.parametrize("address, fetch", [
    ("https://example.com/models/m.keras", " (curl -LO 'https://example.com/models/m.keras', say)"),
    ("HTTP://example.com/m.h5", " (curl -LO 'HTTP://example.com/m.h5', say)"),
    ("hf://keras/vgg16", ""),  # Keras 3's own address on the Hugging Face Hub: a download too
    ("https://me:secret@example.com/m.keras?token=abc", ""),  # no command, which would need the hidden password
])
def test_a_model_s_web_address_is_told_to_be_downloaded_first(address, fetch):
    """Before, a URL was taken for a path: "model file 'https:/example.com/models/m.keras' does not exist"."""
    with pytest.raises(UsageError) as raised:
        check_choice(address)
    said = str(raised.value)
    assert said.endswith(f"is a web address; this program opens a model file on this machine, or a "
                         f"keras.applications name: download the file first{fetch}, then give its name"), said
    assert "secret" not in said and "abc" not in said


@pytest.mark.parametrize("name, expected", [("MobileNetV2", "mobilenet_v2"), ("efficientnet-b0", "efficientnet_b0"),
                                            ("resnet50", "resnet50")])
def test_names_are_forgiving(name, expected):
    assert find_spec(name).name == expected
    assert expected in list_models()


def test_every_keras_application_is_known_by_name():
    """ConvNeXtLarge, ConvNeXtXLarge and NASNetLarge were "unknown model"."""
    import keras

    classes = {name for name in dir(keras.applications) if name[0].isupper()}
    assert classes and {find_spec(name).class_name for name in list_models()} == classes
    assert find_spec("NASNetLarge").input_hw == (331, 331)


def test_other_application_with_random_weights():
    loaded = load_model("mobilenet_v2", weights="none")
    assert loaded.layers[0].name == "Conv1" and loaded.layers[0].channels == 32
    assert loaded.weights == "random initialization"


def test_a_model_by_name_runs_at_keras_own_size_or_the_one_asked():
    """Inception and Xception were built at 224x224, EfficientNetB7 at a third of its 600x600: Keras' own size is
    the one their ImageNet weights were trained at. --input-size was refused for a model by name."""
    import keras

    assert load_model("mobilenet_v2", weights="none").input_hw == (224, 224)
    assert [find_spec(name).input_hw for name in ("inception_v3", "xception", "efficientnet_b7", "efficientnet_v2_s")
            ] == [(299, 299), (299, 299), (600, 600), (384, 384)]
    built = keras.applications.EfficientNetB1(weights=None)  # with its classifier, Keras sizes it itself: 240
    assert find_spec("efficientnet_b1").input_hw == tuple(built.inputs[0].shape[1:3])
    loaded = load_model("mobilenet_v2", weights="none", input_hw=(240, 320))
    assert loaded.input_hw == (240, 320) and (loaded.layers[0].height, loaded.layers[0].width) == (120, 160)


def test_default_layer_is_the_first_convolution():
    loaded = load_model("resnet50", weights="none")
    assert loaded.layers[0].name == "conv1_pad"  # a padding layer comes first
    assert loaded.default_layer == "conv1_conv"


def test_hed_weights_only_fit_vgg16():
    with pytest.raises(ModelError, match="only vgg16"):
        load_model("resnet50", weights="hed")


def _small_model():
    import keras

    inputs = keras.Input((32, 32, 3), name="picture")
    x = keras.layers.Conv2D(5, 3, padding="same", name="conv_a")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, keras.layers.Dense(2, name="head")(x))


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_model_files_load(tmp_path, suffix):
    path = tmp_path / f"small{suffix}"
    _small_model().save(path)
    loaded = load_model(str(path))
    assert loaded.input_hw == (32, 32)
    assert [layer.name for layer in loaded.layers] == ["conv_a"]
    # The layers an engineer tries first, which give no maps: the last one (its classes), and the input
    for name, said in [("head", "layer 'head' (Dense) gives (None, 2), not maps of (height, width, channels); the "
                                "last layer that gives maps is conv_a (--list-layers lists them all)"),
                       ("pool", "layer 'pool' (GlobalAveragePooling2D) gives (None, 5), not maps"),
                       ("picture", "layer 'picture' is the model's input, the picture before any layer has worked on "
                                   "it; the first layer that gives maps is conv_a (--list-layers lists them all)")]:
        with pytest.raises(LayerError) as raised:
            loaded.layer(name)
        assert str(raised.value).startswith(said), raised.value


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_model_files_named_in_capitals_load(tmp_path, suffix):
    """Keras tells formats apart by the suffix as written, and refused SMALL.KERAS (from Windows, a FAT stick)."""
    _small_model().save(tmp_path / f"small{suffix}")
    shouted = tmp_path / f"SMALL{suffix.upper()}"
    (tmp_path / f"small{suffix}").rename(shouted)
    loaded = load_model(str(shouted))
    assert loaded.name == "SMALL" and [layer.name for layer in loaded.layers] == ["conv_a"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [shouted.name]  # nothing left beside it


@pytest.mark.parametrize("sequential", [False, True])
def test_layers_inside_a_nested_model_are_listed_and_cut(tmp_path, sequential):
    import keras

    path = tmp_path / "transfer.keras"
    transfer_model(sequential).save(path)
    loaded = load_model(str(path))
    names = [layer.name for layer in loaded.layers]
    assert names == ([] if sequential else ["scale"]) + ["base/base_conv", "base/base_conv2", "base"]
    assert loaded.default_layer == "base/base_conv"
    assert (loaded.layer("base/base_conv2").height, loaded.layer("base/base_conv2").channels) == (16, 6)
    image = np.random.default_rng(3).uniform(0, 255, (1, 32, 32, 3)).astype(np.float32)
    base = loaded.model.get_layer("base")
    scaled = image if sequential else image / 127.5 - 1
    # Scaled here and in the graph, the inputs differ in their last bit; on a GPU, TensorFlow's convolutions round
    # their inputs to TF32's 10-bit mantissas, which turned that into 1.5e-4 (an H200). A cut that lost the offset
    # of the outer scaling differs by 1.6, one that lost the scaling by 380.
    close = {"rtol": 2e-3, "atol": 2e-3}
    for inner in ("base_conv", "base_conv2"):
        expected = keras.Model(base.inputs[0], base.get_layer(inner).output)(scaled)
        np.testing.assert_allclose(np.asarray(loaded.cut(f"base/{inner}")(image)), np.asarray(expected), **close)
    expected = base(scaled)  # the nested model cut whole: its own output, reached from the outer input
    np.testing.assert_allclose(np.asarray(loaded.cut("base")(image)), np.asarray(expected), **close)
    with pytest.raises(LayerError, match="no layer 'base/conv9'"):
        loaded.cut("base/conv9")


def test_a_model_nested_twice_is_left_out(tmp_path):
    import keras

    base_in = keras.Input((16, 16, 3))
    base = keras.Model(base_in, keras.layers.Conv2D(4, 3, name="shared_conv")(base_in), name="shared")
    inputs = keras.Input((16, 16, 3))
    flipped = keras.layers.RandomFlip("horizontal", name="flip")(inputs)
    both = keras.layers.Concatenate(name="both")([base(inputs), base(flipped)])
    path = tmp_path / "twice.keras"
    keras.Model(inputs, both).save(path)
    assert [layer.name for layer in load_model(str(path)).layers] == ["flip", "both"]


def _lambda_model(tmp_path, script, name="lambda.keras", **names):
    """A model file whose Lambda layer, before its convolution, stores the code of the lambda `f` that `script`
    defines, as a user's script would, with `names` (its imports) as globals: the file, and the model itself."""
    import keras

    namespace = dict(names)
    exec(script, namespace)
    inputs = keras.Input((8, 8, 3))
    scaled = keras.layers.Lambda(namespace["f"], name="scale")(inputs)
    model = keras.Model(inputs, keras.layers.Conv2D(2, 1, name="conv")(scaled))
    model.save(tmp_path / name)
    return str(tmp_path / name), model


@pytest.mark.parametrize("name", ["lambda.keras", "lambda.h5"])
def test_a_stored_lambda_runs_only_where_the_user_trusts_the_file(tmp_path, caplog, name):
    """Keras' safe mode refuses a lambda's stored code; --trust-lambda runs it, and says so."""
    path, model = _lambda_model(tmp_path, "f = lambda t, scale=255.0: t / scale", name)  # a default: JSON's list
    with pytest.raises(ModelError) as refused:
        load_model(path)
    assert "has a Lambda layer whose Python code (a lambda) is stored in the file" in str(refused.value)
    assert "add --trust-lambda" in str(refused.value) and "--custom-objects" in str(refused.value)
    with caplog.at_level(logging.INFO, logger="models.loading"):
        loaded = load_model(path, trust_lambda=True)
    assert f"'{name}' runs the Python code stored in its Lambda layer 'scale' (--trust-lambda)" in caplog.text
    assert "--preprocess unit" not in caplog.text  # the lambda may scale the pixels itself: no hint
    pixels = np.random.default_rng(0).uniform(0, 255, (1, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(loaded.model(pixels)), np.asarray(model(pixels)), rtol=1e-6)


def test_a_trusted_lambda_gets_the_modules_such_code_uses_and_the_users_own_functions(tmp_path):
    """A lambda's stored code keeps none of the names around it; the common modules are given back to it, and
    the functions of --custom-objects files."""
    import keras
    import tensorflow as tf

    code = tmp_path / "helpers.py"
    code.write_text("def lifted(t):\n    return t + 1.0\n")
    from models import custom_objects

    lifted = custom_objects.load([code])["lifted"]
    path, model = _lambda_model(tmp_path, "f = lambda t: tf.nn.relu(keras.ops.subtract(lifted(t), np.float32(2)))",
                                tf=tf, keras=keras, np=np, lifted=lifted)
    pixels = np.random.default_rng(1).uniform(-3, 3, (1, 8, 8, 3)).astype("float32")
    loaded = load_model(path, custom=(code,), trust_lambda=True)
    np.testing.assert_allclose(np.asarray(loaded.model(pixels)), np.asarray(model(pixels)), rtol=1e-6)
    with pytest.raises(ModelError, match="stored code uses 'lifted', which a model file does not hold"):
        load_model(path, trust_lambda=True)  # without the file that defines it


def test_a_trusted_lambda_that_cannot_run_here_is_refused_in_a_sentence(tmp_path):
    """A name of the script the lambda was written in, code that fails (Keras said only that it could not infer
    an output shape for either), and bytecode of another Python version."""
    path, _ = _lambda_model(tmp_path, "SCALE = 3.0\nf = lambda t: t * SCALE")
    with pytest.raises(ModelError) as refused:
        load_model(path, trust_lambda=True)
    assert "stored code uses 'SCALE', which a model file does not hold" in str(refused.value)
    assert "named function (def)" in str(refused.value)
    path, _ = _lambda_model(tmp_path, "ops = 2.0\nf = lambda t: t * ops", "clash.keras")  # here ops is keras.ops
    with pytest.raises(ModelError) as refused:
        load_model(path, trust_lambda=True)
    failed = r"Lambda layer whose stored code failed as Keras ran it to build the model \(\w+Error: .*keras\.ops"
    assert re.search(failed, str(refused.value))
    with zipfile.ZipFile(path) as archive:  # the lambda's bytecode as another Python would have written it
        files = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(files["config.json"])
    config["config"]["layers"][1]["config"]["function"]["config"]["code"] = base64.b64encode(b"\xfe\x01").decode()
    files["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(ModelError, match=r"whose stored code Python 3\.\d+ cannot read"):
        load_model(path, trust_lambda=True)


def test_a_lambda_of_a_named_function_loads_with_its_file_and_no_trust(tmp_path):
    """A Lambda layer of a named function stores only its name: the --custom-objects file brings the code, and
    without it the function is named (not the stored-code refusal, which its error text once set off)."""
    import keras

    code = tmp_path / "scaling.py"
    code.write_text("def to_unit(t):\n    return t / 255.0\n")
    from models import custom_objects

    inputs = keras.Input((8, 8, 3))
    scaled = keras.layers.Lambda(custom_objects.load([code])["to_unit"], name="scale")(inputs)
    path = tmp_path / "named.keras"
    keras.Model(inputs, keras.layers.Conv2D(2, 1)(scaled)).save(path)
    with pytest.raises(ModelError, match="uses 'to_unit'.*Pass that Python file with --custom-objects"):
        load_model(str(path))
    assert [layer.name for layer in load_model(str(path), custom=(code,)).layers][:1] == ["scale"]


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_lambda_of_a_keras_applications_function_is_told_the_import_it_needs(tmp_path, suffix):
    """Lambda(preprocess_input), as transfer-learning tutorials write it: Keras saves the function's name alone,
    which every keras.applications model defines its own way. The sentence gives the import; a file with that
    import brings it (imports from Keras are otherwise not a file's own)."""
    import keras

    inputs = keras.Input((8, 8, 3))
    scaled = keras.layers.Lambda(keras.applications.mobilenet_v2.preprocess_input, name="pre")(inputs)
    model = keras.Model(inputs, keras.layers.Conv2D(2, 1)(scaled))
    path = tmp_path / f"transfer{suffix}"
    model.save(path)
    with pytest.raises(ModelError) as refused:
        load_model(str(path))
    assert ("uses 'preprocess_input', saved by its name alone, which each keras.applications model (vgg16, "
            "mobilenet_v2, ...) defines in its own way: pass a Python file with the line `from "
            "keras.applications.mobilenet_v2 import preprocess_input`") in str(refused.value)
    code = tmp_path / "imports.py"
    code.write_text("import keras\nfrom keras.applications.mobilenet_v2 import preprocess_input\n"
                    "from keras.layers import Dense\n")
    from models import custom_objects

    assert sorted(custom_objects.load([code])) == ["preprocess_input"]  # not Keras' Dense
    pixels = np.random.default_rng(2).uniform(0, 255, (1, 8, 8, 3)).astype("float32")
    loaded = load_model(str(path), custom=(code,))
    np.testing.assert_allclose(np.asarray(loaded.model(pixels)), np.asarray(model(pixels)), rtol=1e-6)


def test_a_keras2_transfer_model_opens_with_what_keras3_cannot_read_as_it_is(caplog):
    """A Keras 2 .h5 file (made by tests/data/make_keras2_models.py with tf_keras) of the transfer-learning
    tutorial's shape: random augmentation layers (rng_type), preprocess_input as TFOpLambda layers, a nested
    base called at Keras 2's node 1, depthwise and separable convolutions (groups), '/' in layer names, a
    residual `x + y` and ConvNeXt's LayerScale. Keras 3 refuses each; translated, the maps are Keras 2's own."""
    import keras

    path = DATA / "keras2_transfer.h5"
    with caplog.at_level(logging.INFO, logger="models"):
        loaded = load_model(str(path))
    assert "written with '_' here (stem/conv is stem_conv; --layer takes either)" in caplog.text
    assert "--preprocess unit" not in caplog.text  # TFOpLambda layers scale the pixels before the convolutions
    names = [layer.name for layer in loaded.layers]
    assert {"base/stem_conv", "base/block_depthwise", "base/block_separable", "base/block_scale"} <= set(names)
    assert loaded.layer("base/block/depthwise").name == "base/block_depthwise"  # as Keras 2 named it
    expected = np.load(path.with_suffix(".npz"))
    model = loaded.model
    probe = keras.Model(model.inputs, [model.get_layer("tf.math.subtract").output,
                                       model.get_layer("global_average_pooling2d").input])
    scaled, maps = probe([expected["pixels"]], training=False)
    np.testing.assert_allclose(np.asarray(scaled), expected["scaled"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(maps), expected["maps"], rtol=1e-5, atol=1e-4)
    assert np.abs(expected["maps"]).max() > 1  # maps of the saved weights, not of zeros


def test_a_keras2_sequential_model_with_nested_augmentation_opens_with_its_maps():
    """TensorFlow's image-classification tutorial's shape, saved by Keras 2 (tests/data/make_keras2_models.py):
    the nested Sequential's first layer holds the input shape, which Keras 3 takes only from an InputLayer."""
    import keras

    path = DATA / "keras2_sequential.h5"
    loaded = load_model(str(path))
    expected = np.load(path.with_suffix(".npz"))
    maps = keras.Model(loaded.model.inputs, loaded.model.get_layer("conv").output)([expected["pixels"]], training=False)
    np.testing.assert_allclose(np.asarray(maps), expected["maps"], rtol=1e-5, atol=1e-5)
    assert np.abs(expected["maps"]).max() > 0.1


@pytest.mark.parametrize("name, maps_of", [
    ("keras2_functional.keras", None), ("keras2_sequential.keras", "conv"), ("keras2_sequential_savedmodel", "conv"),
    ("keras2_transfer_savedmodel", "global_average_pooling2d"),
    ("keras2_transfer_savedmodel/saved_model.pb", "global_average_pooling2d")])  # the folder's file: the folder
def test_keras2_archives_and_savedmodels_open_with_keras2s_maps(name, maps_of):
    """Keras 2's other formats (tests/data/make_keras2_models.py), which Keras 3 opens not at all: a .keras
    archive (its settings name Keras 2's modules) and a SavedModel folder (TensorFlow's format, Keras 2's settings
    beside it in keras_metadata.pb). Rebuilt as the .h5 files are, with the weights found by the layers' names."""
    import keras

    path = DATA / name
    loaded = load_model(str(path))
    model_path = path.parent if path.name == "saved_model.pb" else path
    expected = np.load(model_path.parent / f"{model_path.stem.removesuffix('_savedmodel')}.npz")
    if maps_of is None:  # the model's own output
        maps = loaded.model([expected["pixels"]], training=False)
    else:
        layer = loaded.model.get_layer(maps_of)
        maps = keras.Model(loaded.model.inputs, layer.input if maps_of.startswith("global") else layer.output)(
            [expected["pixels"]], training=False)
    np.testing.assert_allclose(np.asarray(maps), expected["maps"], rtol=1e-5, atol=1e-4)
    assert loaded.name == model_path.stem and np.abs(expected["maps"]).max() > 1  # maps of the saved weights


def test_a_keras_file_that_tensorflow_2_12_wrote_as_hdf5_opens_with_its_maps(tmp_path, caplog):
    """Up to TensorFlow 2.12, model.save('model.keras') wrote HDF5 under that name (tests/data/make_keras2_models.py
    run with tensorflow 2.12.1), which Keras 3 reads only as a zip archive: it is read as the .h5 file it is, also
    named in capitals (from a FAT stick)."""
    path = tmp_path / "KERAS2_TF212.KERAS"
    shutil.copyfile(DATA / "keras2_tf212.keras", path)
    check_choice(str(path))
    with caplog.at_level(logging.INFO, logger="models"):
        loaded = load_model(str(path))
    assert "'KERAS2_TF212.KERAS' is an HDF5 file, as TensorFlow up to 2.12 wrote under a .keras name" in caplog.text
    expected = np.load(DATA / "keras2_tf212.npz")
    np.testing.assert_allclose(np.asarray(loaded.model([expected["pixels"]], training=False)), expected["maps"],
                               rtol=1e-5, atol=1e-4)
    assert loaded.name == "KERAS2_TF212" and np.abs(expected["maps"]).max() > 1  # the saved weights' maps
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # nothing left beside it
    weights_only = tmp_path / "weights.keras"  # HDF5 of weights alone under that name: checked as an .h5 file is
    with h5py.File(weights_only, "w") as contents:
        contents.create_group("conv")
    with pytest.raises(ModelError, match="holds weights without the model they belong to"):
        check_choice(str(weights_only))


@pytest.mark.parametrize("name, mended", [
    ("keras3_4_augmented.keras", "RandomRotation 'random_rotation': value_range"),
    ("keras3_14_sheared.keras", "RandomShear 'random_shear': x_factor and y_factor"),
    ("keras3_14_sheared.h5", "RandomShear 'random_shear': x_factor and y_factor")])
def test_a_keras3_file_whose_augmentation_this_keras_refuses_opens_with_its_maps(name, mended, caplog):
    """Files of earlier Keras 3 versions (tests/data/make_keras3_models.py) that the installed Keras refuses whole
    for the settings of a random augmentation layer it wrote: RandomRotation's value_range (Keras 3.0 to 3.5), and
    RandomShear's factors (3.8 on, which refuses its own). Mended, the maps are those of the saving Keras."""
    import keras

    path = DATA / name
    with pytest.raises(Exception, match="RandomRotation|RandomShear"):  # what the mend is for, while Keras refuses
        keras.models.load_model(path, compile=False)
    with caplog.at_level(logging.INFO, logger="models"):
        loaded = load_model(str(path))
    assert f"that Keras {keras.__version__} refuses ({mended}" in caplog.text
    expected = np.load(DATA / f"{path.stem}.npz")
    maps = loaded.cut("conv")(expected["pixels"], training=False)
    np.testing.assert_allclose(np.asarray(maps), expected["maps"], rtol=1e-5, atol=1e-4)
    assert np.abs(expected["maps"]).max() > 1  # the maps of the saved weights, not of Keras' initial ones
    assert loaded.default_layer == "conv"


@pytest.mark.parametrize("name", ["keras2_resized.h5", "keras2_resized.keras"])
def test_keras2s_random_resizing_which_keras3_dropped_passes_the_picture_on(name, caplog):
    """RandomHeight and RandomWidth, random augmentation of Keras 2 (tests/data/make_keras2_models.py) that Keras 3
    no longer has: it was told to pass a file of its own, or to upgrade Keras. Outside training they passed the
    picture on as it was, which they do here."""
    path = DATA / name
    with caplog.at_level(logging.INFO, logger="models"):
        loaded = load_model(str(path))
    assert (f"'{name}' was saved by Keras 2 with RandomHeight 'random_height', RandomWidth 'random_width', random "
            f"augmentation that Keras 3 no longer has") in caplog.text
    expected = np.load(DATA / "keras2_resized.npz")
    maps = loaded.cut("conv")(expected["pixels"], training=False)
    np.testing.assert_allclose(np.asarray(maps), expected["maps"], rtol=1e-5, atol=1e-4)
    assert np.abs(expected["maps"]).max() > 1 and loaded.default_layer == "conv"


def test_a_keras2_model_trained_in_mixed_precision_opens_in_it_with_its_maps():
    """Keras 2 wrote a mixed_float16 layer's dtype as a policy object, which Keras 3 cannot read there (an error
    about 'quantization_mode'): it takes the policy's name, and the maps are Keras 2's, computed in float16."""
    path = DATA / "keras2_mixed.h5"
    loaded = load_model(str(path))
    assert loaded.model.get_layer("conv").dtype_policy.name == "mixed_float16"
    expected = np.load(DATA / "keras2_mixed.npz")
    maps = np.asarray(loaded.cut("bn")(expected["pixels"], training=False), np.float32)
    np.testing.assert_allclose(maps, expected["maps"], rtol=1e-2, atol=1e-2)
    assert np.abs(expected["maps"]).max() > 1


def test_keras2_layers_that_keras3_has_in_another_form_or_not_at_all():
    """SpatialDropout2D, whose Keras 2 settings Keras 3 refuses, and ThresholdedReLU, which Keras 3 dropped for
    ReLU(threshold=), open with Keras 2's maps (tests/data/make_keras2_models.py); LocallyConnected2D, which has
    weights and nothing in Keras 3 to hold them, is named as a layer of Keras 2, not as one of the user's own."""
    loaded = load_model(str(DATA / "keras2_layers.h5"))
    expected = np.load(DATA / "keras2_layers.npz")
    np.testing.assert_allclose(np.asarray(loaded.model([expected["pixels"]], training=False)), expected["maps"],
                               rtol=1e-5, atol=1e-4)
    assert np.abs(expected["maps"]).max() > 1 and loaded.model.get_layer("thresholded").threshold == 100
    with pytest.raises(ModelError, match="uses 'LocallyConnected2D', a layer of Keras 2 that Keras 3 no longer has, "
                                         "so its model cannot be rebuilt here"):
        load_model(str(DATA / "keras2_locally.h5"))


def test_a_layer_inside_timedistributed_that_tensorflow_2_12_saved_opens_with_its_maps():
    """TensorFlow 2.12 wrote the layer inside TimeDistributed without its module, by which Keras 3 looks it up, and
    the user was told that Dense is not part of Keras (tests/data/make_keras2_models.py run with tensorflow 2.12.1)."""
    loaded = load_model(str(DATA / "keras2_tf212_wrapped.h5"))
    expected = np.load(DATA / "keras2_tf212_wrapped.npz")
    np.testing.assert_allclose(np.asarray(loaded.model([expected["pixels"]], training=False)), expected["maps"],
                               rtol=1e-5, atol=1e-3)
    assert np.abs(expected["maps"]).max() > 1
    from models.custom_objects import missing_message

    said = missing_message(DATA / "keras2_tf212_wrapped.h5", "Dense", None, ())  # where settings stay unreadable
    assert "holds Keras' own layer 'Dense' in settings that Keras" in said and "--custom-objects" not in said
    assert "not part of Keras" in missing_message(DATA / "keras2_tf212_wrapped.h5", "Dense2", None, ())


@pytest.mark.parametrize("name", ["keras2_attention.h5", "keras2_attention_savedmodel"])
def test_a_keras2_attention_block_opens_with_its_maps(name):
    """A vision transformer's block (MobileViT's) as Keras 2 saved it: MultiHeadAttention(x, x), whose second
    argument Keras 2 wrote among its call's settings, so that Keras 3 built the layer without it ("build() missing
    1 required positional argument: 'value_shape'"), and TimeDistributed(Dense); in a SavedModel, their weights
    under their sublayers, which were not looked for there (tests/data/make_keras2_models.py)."""
    loaded = load_model(str(DATA / name))
    expected = np.load(DATA / "keras2_attention.npz")
    np.testing.assert_allclose(np.asarray(loaded.model([expected["pixels"]], training=False)), expected["maps"],
                               rtol=1e-5, atol=1e-4)
    assert np.abs(expected["maps"]).max() > 1
    assert [layer.name for layer in loaded.layers] == ["tf.math.truediv", "stem", "reshape_1", "conv"]  # 4-D maps


@pytest.mark.parametrize("name", ["keras2_hard_sigmoid.h5", "keras2_hard_sigmoid.keras"])
def test_keras2s_activations_give_keras2s_maps_without_a_warning(name):
    """Keras 3 reads a Keras 2 .h5 file with activation='hard_sigmoid' without a word, and computes its own
    hard_sigmoid, clip(x / 6 + 0.5, 0, 1), where Keras 2 computed clip(0.2 x + 0.5, 0, 1): the maps of this model
    differed from its own by up to 0.08 (the first layer) and 0.15 (the second) of their range of 1
    (tests/data/make_keras2_models.py). Keras 2's LeakyReLU, here a convolution's activation, loads without
    Keras' warning about its setting `alpha`, which it printed at each start in Python's words."""
    import keras

    expected = np.load(DATA / "keras2_hard_sigmoid.npz")
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        loaded = load_model(str(DATA / name))
    assert not warned, [str(warning.message) for warning in warned]  # Keras' on LeakyReLU's alpha, in Python's words
    for layer in ("gate", "conv", "leaky"):  # the last's activation a layer, whose settings are no name
        maps = np.asarray(loaded.cut(layer)(expected["pixels"], training=False))
        np.testing.assert_allclose(maps, expected[layer], rtol=1e-5, atol=1e-6)
    assert 0 < expected["gate"].mean() < 1 and expected["gate"].min() == 0 and expected["gate"].max() == 1
    if name.endswith(".h5"):  # what Keras 3 alone makes of the file
        with pytest.warns(UserWarning, match="Argument `alpha` is deprecated"):
            plain = keras.models.load_model(DATA / name, compile=False)
        conv = keras.Model(plain.inputs, plain.get_layer("conv").output)
        assert np.abs(np.asarray(conv([expected["pixels"]])) - expected["conv"]).max() > 0.02


def test_a_class_of_a_library_of_keras_kind_is_named_with_the_library_to_install(tmp_path):
    """A backbone of keras_hub (or keras_cv) in a .keras file: not the user's code to pass as a file, but a library
    that Keras imports by itself once installed. Keras failed on the import and the user was told the model could
    not be deserialized."""
    import keras

    class Backbone(keras.layers.Layer):
        def call(self, x):
            return x * 0.5

    Backbone.__module__ = "some_keras_library.src.models.backbone"  # as keras_hub's are laid out; not installed
    inputs = keras.Input((8, 8, 3))
    keras.Model(inputs, Backbone(name="backbone")(keras.layers.Conv2D(2, 3)(inputs))).save(tmp_path / "hub.keras")
    with pytest.raises(ModelError, match=r"uses 'Backbone' \(module 'some_keras_library.src.models.backbone'\), "
                                         r"which comes from the library some_keras_library, not installed here: pip "
                                         r"install some_keras_library \(the version the model was saved with\)"):
        load_model(str(tmp_path / "hub.keras"))
    from models.custom_objects import missing_message

    said = missing_message(tmp_path / "hub.keras", "Backbone", "numpy.src.layers", ())  # a library installed here
    assert "from the library numpy, whose installed version does not have it" in said


def test_a_keras2_archive_with_a_layer_of_ones_own_names_the_file_to_pass(tmp_path):
    """Keras 2 wrote the module of a layer of one's own into a .keras archive, as Keras 3 does: the sentence names
    it, as it does for Keras 3's archives (the Keras 2 settings that Keras 3 reads leave it out)."""
    path = DATA / "keras2_own_layer.keras"
    with pytest.raises(ModelError, match="uses 'Half' \\(module 'layers_keras2'\\), .* --custom-objects "
                                         "layers_keras2.py$"):
        load_model(str(path))
    code = tmp_path / "layers_keras2.py"
    code.write_text(LAYERS_FILE)
    loaded = load_model(str(path), custom=(code,))
    image = np.random.default_rng(6).uniform(0, 255, (1, 16, 16, 3)).astype(np.float32)
    conv = np.asarray(loaded.cut("conv")(image))
    np.testing.assert_allclose(np.asarray(loaded.cut("half")(image)), conv * 0.5, rtol=1e-6)
    assert np.abs(conv).max() > 0


def test_a_savedmodel_that_cannot_be_rebuilt_is_said_in_a_sentence(tmp_path):
    """Keras 2's settings unreadable, of a subclassed model, or its weights missing: a sentence each, with what is
    wrong."""
    folder = tmp_path / "model"
    shutil.copytree(DATA / "keras2_transfer_savedmodel", folder)
    metadata = (folder / "keras_metadata.pb").read_bytes()
    (folder / "keras_metadata.pb").write_bytes(metadata[:1000])  # a copy cut short
    with pytest.raises(ModelError, match="is a SavedModel whose keras_metadata.pb, the settings of its layers that "
                                         "Keras 2 wrote beside it, could not be read"):
        load_model(str(folder))
    subclassed = json.dumps({"class_name": "Net", "name": "net", "keras_version": "2.15.0"}).encode()
    node = b"\x1a\x04root" + b"\x2a" + _varint(len(subclassed)) + subclassed  # node_path (3), metadata (5)
    (folder / "keras_metadata.pb").write_bytes(b"\x0a" + _varint(len(node)) + node)  # nodes (1): the root alone
    with pytest.raises(ModelError, match="describe no graph of layers: a subclassed model, whose call\\(\\) runs its "
                                         "layers in Python.*build it as a functional or Sequential model"):
        load_model(str(folder))
    (folder / "keras_metadata.pb").write_bytes(metadata)
    shutil.rmtree(folder / "variables")
    with pytest.raises(ModelError, match="'.*model' was saved by Keras 2.21.0 .*, and its model could not be rebuilt "
                                         r"for Keras 3 \(.*variables"):
        load_model(str(folder))


def _varint(value: int) -> bytes:
    """A protocol buffer's variable-length integer."""
    out = b""
    while value >= 0x80:
        out, value = out + bytes([value & 0x7F | 0x80]), value >> 7
    return out + bytes([value])


def test_a_keras3_h5_file_with_keras_operations_is_told_to_be_saved_as_keras(tmp_path):
    """Keras 3 writes `x / 127.5` on a layer's output into an .h5 file as an operation it cannot read back."""
    import keras

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 1)(inputs / 127.5))
    model.save(tmp_path / "ops.h5")
    model.save(tmp_path / "ops.keras")
    with pytest.raises(ModelError, match="uses 'TrueDivide', an operation of Keras' own .* cannot read back from "
                                         r"them: save the model as .keras instead \(model.save\('model.keras'\)\)"):
        load_model(str(tmp_path / "ops.h5"))
    assert load_model(str(tmp_path / "ops.keras")).layers


def test_trust_lambda_goes_with_a_model_file():
    with pytest.raises(UsageError, match="--trust-lambda goes with a model file"):
        check_choice("vgg16", trust_lambda=True)


LAYERS_FILE = """
import keras


@keras.saving.register_keras_serializable(package="mine")
class Twice(keras.layers.Layer):
    def call(self, x):
        return x * 2.0


class Half(keras.layers.Layer):  # not registered: Keras finds it by its name among the file's classes
    def call(self, x):
        return x * 0.5


def shifted_relu(x):
    return keras.ops.relu(x - 1.0)
"""


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_a_model_with_its_own_layers_loads_with_the_file_that_defines_them(tmp_path, suffix):
    """Without the file, one sentence names the missing class and the option (Keras' own message is about
    from_config); with it, the layers are listed, and cut where the model's code runs."""
    import keras

    from models import custom_objects

    code = tmp_path / f"layers_{suffix[1:]}.py"
    code.write_text(LAYERS_FILE)
    own = custom_objects.load([code])
    assert {"Twice", "Half", "shifted_relu"} <= set(own) and "keras" not in own
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, activation=own["shifted_relu"], name="conv")(inputs)
    x = own["Twice"](name="twice")(own["Half"](name="half")(x))
    path = tmp_path / f"mine{suffix}"
    keras.Model(inputs, x).save(path)
    with pytest.raises(ModelError, match=f"'.*mine{suffix}' uses '(Half|shifted_relu)'.*, which is not part of "
                                         f"Keras.*--custom-objects"):
        load_model(str(path))
    if suffix == ".keras":  # a class's module is in the file, and names the file to pass
        keras.Model(inputs, own["Half"]()(inputs)).save(tmp_path / "half.keras")
        with pytest.raises(ModelError, match="uses 'Half' \\(module 'layers_keras'\\), .* --custom-objects "
                                             "layers_keras.py$"):
            load_model(str(tmp_path / "half.keras"))
    loaded = load_model(str(path), custom=(code,))
    assert [layer.name for layer in loaded.layers] == ["conv", "half", "twice"]
    image = np.random.default_rng(5).uniform(0, 255, (1, 16, 16, 3)).astype(np.float32)
    conv = np.asarray(loaded.cut("conv")(image))
    assert conv.min() >= 0 and conv.max() > 0
    np.testing.assert_allclose(np.asarray(loaded.cut("twice")(image)), conv, rtol=1e-6)
    other = tmp_path / "other.py"
    other.write_text("import keras\n")
    with pytest.raises(ModelError, match="uses '(Half|shifted_relu)'.*not defined in --custom-objects '.*other.py'"):
        load_model(str(path), custom=(other,))


def test_a_custom_objects_file_named_like_a_loaded_module_leaves_that_module_alone(tmp_path):
    """A user's models.py (a common name) replaced this program's own models package in sys.modules."""
    import sys

    import keras

    import models
    from models import custom_objects

    code = tmp_path / "models.py"
    code.write_text(LAYERS_FILE)
    own = custom_objects.load([code])
    assert sys.modules["models"] is models and own["Half"].__module__ != "models"
    assert custom_objects.load([code])["Half"] is own["Half"]  # run once, however often it is named
    inputs = keras.Input((16, 16, 3))
    keras.Model(inputs, own["Half"](name="half")(keras.layers.Conv2D(2, 3)(inputs))).save(tmp_path / "m.keras")
    assert load_model(str(tmp_path / "m.keras"), custom=(code,)).layer("half").channels == 2
    assert sys.modules["models"] is models and sys.path.index(str(tmp_path)) > 0


def test_custom_object_files_that_cannot_be_used_get_one_sentence(tmp_path):
    (tmp_path / "m.keras").write_bytes(b"")
    model = str(tmp_path / "m.keras")
    with pytest.raises(UsageError, match="--custom-objects goes with a model file"):
        load_model("vgg16", custom=(tmp_path / "x.py",))
    with pytest.raises(UsageError, match="'.*nowhere.py' does not exist"):
        load_model(model, custom=(tmp_path / "nowhere.py",))
    with pytest.raises(UsageError, match="must be a Python file"):
        load_model(model, custom=(tmp_path / "m.keras",))
    from models import custom_objects

    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n")
    with pytest.raises(ModelError, match="'.*broken.py' is not valid Python: .* \\(line 1\\)"):
        custom_objects.load([broken])
    shouted = tmp_path / "SHOUTED.PY"  # a file from Windows: no loader for .PY unless given one
    shouted.write_text(LAYERS_FILE)
    custom_objects.check_files([shouted])
    assert "Half" in custom_objects.load([shouted])
    needs = tmp_path / "needs.py"
    needs.write_text("import a_package_that_is_not_there\n")
    with pytest.raises(ModelError, match="'.*needs.py' failed as it ran: ModuleNotFoundError"):
        custom_objects.load([needs])


@pytest.mark.filterwarnings("ignore:You are saving a model that has not yet been built")  # the point of it
def test_unbuilt_and_subclassed_models_are_explained(tmp_path):
    import keras

    keras.Sequential([keras.layers.Conv2D(4, 3)]).save(tmp_path / "unbuilt.keras")
    with pytest.raises(ModelError, match="Sequential model saved before it was built.*keras.Input"):
        load_model(str(tmp_path / "unbuilt.keras"))
    code = tmp_path / "net.py"
    code.write_text("import keras\n\n\n@keras.saving.register_keras_serializable(package='net')\n"
                    "class Net(keras.Model):\n    def __init__(self, **kwargs):\n"
                    "        super().__init__(**kwargs)\n        self.conv = keras.layers.Conv2D(4, 3)\n\n"
                    "    def call(self, x):\n        return self.conv(x)\n")
    from models import custom_objects

    net = custom_objects.load([code])["Net"]()
    net(np.zeros((1, 16, 16, 3), np.float32))
    net.save(tmp_path / "net.keras")
    with pytest.raises(ModelError, match="subclassed model \\(Net\\).*functional or Sequential"):
        load_model(str(tmp_path / "net.keras"), custom=(code,))


def test_a_weights_file_is_told_apart_from_a_model_file(tmp_path):
    """model.save_weights() writes an HDF5 file too, which Keras refuses with 'No model config found'."""
    import keras

    inputs = keras.Input((16, 16, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(4, 3, name="c1")(inputs))
    model.save_weights(tmp_path / "mine.weights.h5")
    with pytest.raises(ModelError, match="'.*mine.weights.h5' holds weights without the model .*model.save_weights"):
        load_model(str(tmp_path / "mine.weights.h5"))
    model.save(tmp_path / "mine.h5")  # the same model saved whole as .h5 still loads
    assert load_model(str(tmp_path / "mine.h5")).layer("c1").channels == 4
    (tmp_path / "cut.h5").write_bytes((tmp_path / "mine.h5").read_bytes()[:3000])  # a download cut short
    with pytest.raises(ModelError, match="'.*cut.h5' is cut short: the file ends before its data does"):
        load_model(str(tmp_path / "cut.h5"))


def test_archives_of_another_keras_get_the_way_to_open_them(tmp_path):
    """A Keras 2 .keras archive that cannot be rebuilt (here its weights lost) gets the reason and the way to
    open it; such archives were once reported as a custom class to pass with --custom-objects functional.py.
    Those that Keras 2 writes open: test_keras2_archives_and_savedmodels_open_with_keras2s_maps."""
    import keras

    inputs = keras.Input((16, 16, 3))
    keras.Model(inputs, keras.layers.Conv2D(4, 3, name="c1")(inputs)).save(tmp_path / "new.keras")
    keras2_archive = DATA / "keras2_sequential.keras"
    with zipfile.ZipFile(keras2_archive) as new, zipfile.ZipFile(tmp_path / "old.keras", "w") as old:
        for item in new.namelist():  # its weights lost
            old.writestr(item, b"" if item == "model.weights.h5" else new.read(item))
    with pytest.raises(ModelError, match="'.*old.keras' was saved by Keras 2.21.0 .*, and its model could not be "
                                         "rebuilt for Keras 3 \\(.*\\): .*model.save\\('model.h5'\\)"):
        load_model(str(tmp_path / "old.keras"))
    with zipfile.ZipFile(tmp_path / "new.keras") as new, zipfile.ZipFile(tmp_path / "newer.keras", "w") as newer:
        for item in new.namelist():  # a layer class of a Keras to come
            newer.writestr(item, new.read(item).replace(b'"class_name": "Conv2D"', b'"class_name": "Conv9D"'))
    with pytest.raises(ModelError, match="'.*newer.keras' uses 'Conv9D' \\(module 'keras.layers'\\), which Keras 3.* "
                                         "here does not have: .*newer Keras"):
        load_model(str(tmp_path / "newer.keras"))
    assert load_model(str(tmp_path / "new.keras")).layer("c1").channels == 4


@pytest.mark.parametrize("name", ["keras2_functional.keras", "keras2_sequential.h5"])
def test_a_model_file_downloaded_wrong_says_what_it_is(tmp_path, name):
    """A model downloaded from a sharing site can be its sign-in or virus-scan page, empty, or cut short: the
    sentences were 'is not a Keras model file' (as if saved wrongly) or h5py's 'truncated file: eof = 9000,
    sblock->base_addr = 0, stored_eof = 17848'."""
    whole = (DATA / name).read_bytes()
    model = tmp_path / name
    model.write_bytes(b"<!DOCTYPE html>\n<html><head><title>Sign in - Google Accounts</title></head></html>")
    with pytest.raises(ModelError, match=f"^'{model}' is a web page \\('Sign in - Google Accounts'\\), not a Keras "
                                         f"model file: the download saved the site's page in place of the file"):
        load_model(str(model))
    model.write_bytes(b"")
    with pytest.raises(ModelError, match=f"^'{model}' is empty \\(0 bytes\\): a copy or download that did not"):
        load_model(str(model))
    model.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(ModelError, match=f"^'{model}' is cut short: the file ends before its data does \\(a copy or "
                                         f"download that did not finish\\?\\)$"):
        load_model(str(model))
    model.write_bytes(whole)
    assert load_model(str(model)).layers


def test_broken_and_missing_model_files(tmp_path):
    not_zip = tmp_path / "notes.keras"
    not_zip.write_bytes(b"\x00\x01not a zip file")
    with pytest.raises(ModelError, match="'.*notes.keras' is not a Keras model file: .* zip archive .*, and this "
                                         "one is neither"):
        load_model(str(not_zip))
    not_hdf5 = tmp_path / "notes.h5"
    not_hdf5.write_bytes(b"\x00\x01not an HDF5 file")
    with pytest.raises(ModelError, match="'.*notes.h5' is not an HDF5 file"):
        load_model(str(not_hdf5))
    empty_zip = tmp_path / "empty.keras"
    with zipfile.ZipFile(empty_zip, "w") as archive:
        archive.writestr("readme.txt", "no model in here")
    with pytest.raises(ModelError, match="could not load the model file"):
        load_model(str(empty_zip))
    with pytest.raises(ModelError, match="does not exist"):
        load_model(str(tmp_path / "missing.h5"))
    (tmp_path / "saved_model").mkdir()
    (tmp_path / "saved_model" / "saved_model.pb").write_bytes(b"")
    with pytest.raises(ModelError, match="is a TensorFlow SavedModel without the settings of its layers that Keras "
                                         r"2's model.save\(\) writes beside it \(keras_metadata.pb\): one written by "
                                         r"model.export\(\) .* give the Keras model it was written from"):
        load_model(str(tmp_path / "saved_model"))
    with pytest.raises(ModelError, match="is a TensorFlow SavedModel"):
        load_model(str(tmp_path / "saved_model" / "saved_model.pb"))
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    with pytest.raises(ModelError, match=r"'.*run' is a folder, not a .keras or .h5 model file or a model name$"):
        load_model(str(tmp_path / "run"))
    (tmp_path / "run" / "best.keras").write_bytes(b"")
    (tmp_path / "run" / "notes.txt").write_bytes(b"")
    with pytest.raises(ModelError, match="is a folder, .* it holds best.keras: give the file itself"):
        load_model(str(tmp_path / "run"))
    for name, kind in [("resnet.pt", "a PyTorch file"), ("net.onnx", "an ONNX model")]:  # were given SavedModel advice
        (tmp_path / name).write_bytes(b"\x08\x07")
        with pytest.raises(ModelError, match=f"is {kind}, not a Keras model; this program opens Keras models"):
            load_model(str(tmp_path / name))
    (tmp_path / "net.tflite").write_bytes(b"TFL3")
    with pytest.raises(ModelError, match="is a TensorFlow Lite model, .* give the Keras model it was converted from"):
        load_model(str(tmp_path / "net.tflite"))
    with pytest.raises(ModelError, match="model file '.*/nowhere/model' does not exist"):
        load_model(str(tmp_path / "nowhere" / "model"))
    graph = tmp_path / "frozen.pb"
    graph.write_bytes(b"")
    with pytest.raises(ModelError, match="is a file, not a .keras or .h5 model file"):
        load_model(str(graph))


def test_models_of_gray_images_load_and_other_channel_counts_are_refused(tmp_path):
    import keras

    def saved(channels):
        path = tmp_path / f"in{channels}.keras"
        keras.Sequential([keras.Input((16, 16, channels)), keras.layers.Conv2D(2, 3, name="conv")]).save(path)
        return str(path)

    gray = load_model(saved(1), preprocess="unit")
    assert gray.input_channels == 1 and gray.input_shape == (16, 16, 1)
    assert load_model(saved(3)).input_shape == (16, 16, 3)
    with pytest.raises(ModelError, match=r"must take RGB \(3-channel\) or gray \(1-channel\) images; its input has 4"):
        load_model(saved(4))
    with pytest.raises(ModelError, match="--preprocess caffe works on the three colours .* takes gray images"):
        load_model(saved(1), preprocess="caffe")
    first = tmp_path / "channels_first.keras"  # it was told that its input 'has 64 channels'
    keras.Sequential([keras.Input((3, 64, 64)), keras.layers.Conv2D(2, 3, data_format="channels_first")]).save(first)
    with pytest.raises(ModelError, match=r"takes images channels first, \(3, 64, 64\) as \(channels, height, width\)"):
        load_model(str(first))


def test_a_model_file_without_input_scaling_gets_a_hint_about_preprocess(tmp_path, caplog):
    import keras

    hint = "add --preprocess unit or symmetric"
    plain, scaled = tmp_path / "plain.keras", tmp_path / "scaled.keras"
    keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(2, 3)]).save(plain)
    keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Rescaling(1 / 255),
                      keras.layers.Conv2D(2, 3)]).save(scaled)
    with caplog.at_level(logging.INFO, logger="models.loading"):
        load_model(str(scaled))
        assert hint not in caplog.text
        load_model(str(plain), preprocess="unit")  # said how to scale: nothing to hint
        assert hint not in caplog.text
        load_model(str(plain))
        assert "'plain.keras' gets pixels of 0 to 255 as they are" in caplog.text and hint in caplog.text
        assert "input 16x16, 1 feature layer\n" in caplog.text  # not '1 feature layers'
        caplog.clear()
        transfer_model(False).save(tmp_path / "transfer.keras")  # Rescaling before the nested base
        load_model(str(tmp_path / "transfer.keras"))
        assert hint not in caplog.text


def test_a_model_without_feature_maps_says_what_its_layers_give_and_no_hint(tmp_path, caplog):
    """An image classifier of Dense layers alone (a first course's MNIST model) has nothing to show: the sentence
    says what its layers give instead, and no hint about scaling its input before a convolution it lacks."""
    import keras

    dense = tmp_path / "dense.keras"
    keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()]
                     + [keras.layers.Dense(10) for _ in range(5)]).save(dense)
    with caplog.at_level(logging.INFO, logger="models.loading"), pytest.raises(ModelError) as refused:
        load_model(str(dense), preprocess="auto")
    assert str(refused.value) == ("model 'dense' has no layer with a 4-D feature-map output (batch, height, width, "
                                  "channels), as a convolution gives: its layers give Flatten (None, 784), "
                                  "Dense (None, 10), Dense (None, 10), Dense (None, 10), and 2 more")
    assert "--preprocess" not in caplog.text


def test_stages_begin_at_the_first_convolution_of_each_smaller_map_size(vgg16):
    names = [vgg16.layers[i].name for i in vgg16.stage_starts]
    assert names == ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1"]
    mobilenet = load_model("mobilenet_v2", weights="none")  # padding layers between stages are passed over
    assert [mobilenet.layers[i].name for i in mobilenet.stage_starts] == [
        "Conv1", "block_1_depthwise", "block_3_depthwise", "block_6_depthwise", "block_13_depthwise"]
    # Squeeze-and-excitation's 1x1 maps are a branch, not a stage: they took the key 2, leaving none after it.
    mobilenet = load_model("mobilenet_v3_small", weights="none")
    assert [(mobilenet.layers[i].name, mobilenet.layers[i].height) for i in mobilenet.stage_starts] == [
        ("conv", 112), ("expanded_conv_depthwise", 56), ("expanded_conv_1_depthwise", 28),
        ("expanded_conv_3_depthwise", 14), ("expanded_conv_8_depthwise", 7)]
    from models.layers import FeatureLayer, stage_starts

    last = [FeatureLayer("a", 8, 8, 4, "Conv2D"), FeatureLayer("pool", 1, 1, 4, "GlobalAveragePooling2D"),
            FeatureLayer("head", 1, 1, 10, "Conv2D")]
    assert stage_starts(last) == [0, 2]  # 1x1 maps with none larger after them are the last stage, as before
    # A convolution without padding takes a border off, 111 to 109: the same stage (Inception's were [0, 1, 3, 4]).
    inception = [FeatureLayer(name, side, side, 32, kind) for name, side, kind in [
        ("conv2d", 111, "Conv2D"), ("conv2d_1", 109, "Conv2D"), ("pool", 54, "MaxPooling2D"),
        ("conv2d_3", 54, "Conv2D"), ("conv2d_4", 52, "Conv2D")]]
    assert stage_starts(inception) == [0, 3]


def test_a_model_of_open_size_is_sized_at_the_input_it_runs_at(tmp_path):
    """A fully convolutional model (a U-Net, say) leaves its sizes open: its layers were listed as
    (None, None, c) and it had no stage keys. They are sized at 224x224, nested model included."""
    import keras

    base_in = keras.Input((None, None, 3))
    base = keras.Model(base_in, keras.layers.Conv2D(4, 3, name="inner")(base_in), name="base")
    inputs = keras.Input((None, None, 3))
    x = keras.layers.MaxPooling2D(name="pool")(base(inputs))
    path = tmp_path / "open.keras"
    keras.Model(inputs, keras.layers.Conv2D(2, 3, name="b")(x)).save(path)
    loaded = load_model(str(path))
    assert loaded.input_hw == (224, 224)
    assert [(layer.name, layer.height, layer.width, layer.channels) for layer in loaded.layers] == [
        ("base/inner", 222, 222, 4), ("base", 222, 222, 4), ("pool", 111, 111, 4), ("b", 109, 109, 2)]
    assert loaded.stage_starts == [0, 3]

def _u_net(levels: int):
    """A model of open size whose maps are halved `levels` times and met again by skip connections."""
    import keras

    inputs = keras.Input((None, None, 3))
    x, skips = inputs, []
    for level in range(levels):
        x = keras.layers.Conv2D(2, 3, padding="same", name=f"down{level}")(x)
        skips.append(x)
        x = keras.layers.MaxPooling2D()(x)
    for level, skip in reversed(list(enumerate(skips))):
        x = keras.layers.Concatenate(name=f"skip{level}")([keras.layers.UpSampling2D()(x), skip])
    return keras.Model(inputs, x)


def test_a_model_of_open_size_runs_at_the_input_size_asked_or_says_why_not(tmp_path):
    path = tmp_path / "unet.keras"
    _u_net(3).save(path)
    loaded = load_model(str(path), input_hw=(480, 640))
    assert loaded.input_hw == (480, 640) and loaded.input_shape == (480, 640, 3)
    assert [(layer.height, layer.width) for layer in loaded.layers[:2]] == [(480, 640), (240, 320)]
    with pytest.raises(UsageError, match="cannot run at --input-size 100x100 \\(Concatenate: .*Dimension.*\\); "
                                         "choose one with --input-size that halves evenly, such as 104x104 "
                                         "\\(a multiple of 8\\)"):
        load_model(str(path), input_hw=(100, 100))  # 100, 50, 25, 12: 24 rows come back to meet 25
    assert load_model(str(path), input_hw=(104, 104)).layers[0].height == 104


def test_a_model_of_open_size_that_cannot_run_at_the_default_size_runs_at_the_nearest_it_takes(tmp_path, caplog):
    """224x224 halved six times is 3, which comes back as 6 to meet 7: a U-Net of six levels refused to start
    unless given a size, and the sentence suggested a multiple of 32, which does not halve six times either."""
    deep = tmp_path / "deep.keras"
    _u_net(6).save(deep)
    loaded = load_model(str(deep))
    assert loaded.input_hw == (256, 256) and loaded.layers[0].height == 256
    assert "cannot run at the default 224x224 (Concatenate: " in caplog.text
    assert "running at 256x256, the nearest size whose maps halve evenly (--input-size chooses another)" in caplog.text
    with pytest.raises(UsageError, match="cannot run at --input-size 360x640 .*; choose one with --input-size that "
                                         "halves evenly, such as 384x640 \\(a multiple of 64\\)"):
        load_model(str(deep), input_hw=(640, 360))  # a portrait picture, 360 wide: 360 halved six times is 5.6


def test_a_model_of_open_size_that_runs_at_no_size_says_so(tmp_path):
    """Branches that never meet whatever the size (one halved, then tripled): no size near 224 is offered."""
    import keras

    inputs = keras.Input((None, None, 3))
    tripled = keras.layers.UpSampling2D(3)(keras.layers.MaxPooling2D()(inputs))
    path = tmp_path / "never.keras"
    keras.Model(inputs, keras.layers.Concatenate()([tripled, keras.layers.Conv2D(2, 3, padding="same")(inputs)])
                ).save(path)
    with pytest.raises(UsageError, match="never cannot run at 224x224, .*nor at the sizes near it whose maps halve "
                                         "evenly; choose another with --input-size"):
        load_model(str(path))


@pytest.mark.parametrize("picture_hw, input_hw", [
    ((480, 640), (192, 256)), ((3024, 4032), (192, 256)),  # 4:3, a webcam and a phone photo: exactly
    ((720, 1280), (160, 288)), ((1080, 1920), (160, 288)),  # 16:9: 1.8, the nearest of these sizes
    ((1280, 720), (288, 160)), ((1200, 1920), (160, 256)), ((2000, 3000), (192, 288)), ((300, 300), (224, 224)),
    ((100, 20000), (128, 512)),  # a panorama: taken as 4:1
])
def test_an_open_size_for_a_picture_keeps_its_shape_at_about_224x224(picture_hw, input_hw):
    height, width = input_for_picture(picture_hw)
    assert (height, width) == input_hw and height % 32 == 0 and width % 32 == 0
    assert 0.6 <= height * width / 224 ** 2 <= 1.5


def test_a_model_of_open_size_runs_at_the_shape_of_the_pictures(tmp_path, caplog):
    """It ran at 224x224 whatever the source: a 4:3 camera's sides were cut off for a fully convolutional model
    that could see all of it. A size asked for still wins, and a model of fixed size keeps its own."""
    import keras

    caplog.set_level(logging.INFO)
    path = tmp_path / "unet.keras"
    _u_net(3).save(path)
    loaded = load_model(str(path), picture_hw=(480, 640))
    assert loaded.input_hw == (192, 256) and (loaded.layers[0].height, loaded.layers[0].width) == (192, 256)
    assert "input 256x192 (its size left open by the model: the pictures' shape; --input-size chooses another)" \
        in caplog.text
    assert load_model(str(path), input_hw=(64, 64), picture_hw=(480, 640)).input_hw == (64, 64)
    _small_model().save(tmp_path / "small.keras")
    assert load_model(str(tmp_path / "small.keras"), picture_hw=(480, 640)).input_hw == (32, 32)
    deep = tmp_path / "deep.keras"
    _u_net(6).save(deep)  # sides must be multiples of 64: 160x288 from a 16:9 camera is not
    assert load_model(str(deep), picture_hw=(720, 1280)).input_hw == (192, 320)
    assert "cannot run at 288x160, the shape of the source's pictures (Concatenate: " in caplog.text
    inputs = keras.Input((64, None, 3))  # one side fixed: the other at its default, as before
    keras.Model(inputs, keras.layers.Conv2D(2, 3, padding="same")(inputs)).save(tmp_path / "strip.keras")
    caplog.clear()
    assert load_model(str(tmp_path / "strip.keras"), picture_hw=(480, 640)).input_hw == (64, 224)
    assert "(its size left open by the model)" in caplog.text


def test_input_size_is_refused_for_a_model_of_fixed_size(tmp_path):
    with pytest.raises(UsageError, match="--input-size is for a model by name or one that leaves its input "
                                         "size open; small takes 32x32"):
        _small_model().save(tmp_path / "small.keras")
        load_model(str(tmp_path / "small.keras"), input_hw=(64, 64))


def test_feature_layers_skip_non_4d_outputs():
    layers = feature_layers(_small_model())
    assert [(layer.name, layer.height, layer.width, layer.channels) for layer in layers] == [("conv_a", 32, 32, 5)]
