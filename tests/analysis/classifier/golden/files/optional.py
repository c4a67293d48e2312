try:
    import apex
except ImportError:
    import horovod
apex.x(); horovod.x()
